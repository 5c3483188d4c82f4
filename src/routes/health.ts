/** `GET /healthz`: 200 when the database answers, 503 when it does not. No personal data. */
import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (app: FastifyInstance) {
  app.get('/healthz', async (_req, reply) => {
    const db = await app.services.storage.ping()
    return reply.code(db ? 200 : 503).header('cache-control', 'no-store')
      .send({ status: db ? 'ok' : 'unavailable', database: db ? 'ok' : 'not answering', forms: app.services.forms.list().length })
  })
}
