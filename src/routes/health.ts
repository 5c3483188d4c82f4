/**
 * `GET /healthz`: 200 when the database answers (`degraded`, naming them, when some form files are
 * broken: the other forms serve), 503 when it does not. No personal data.
 */
import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (app: FastifyInstance) {
  app.get('/healthz', async (_req, reply) => {
    const db = await app.services.storage.ping()
    const broken = [...app.services.forms.broken().keys()]
    return reply.code(db ? 200 : 503).header('cache-control', 'no-store').send({
      status: !db ? 'unavailable' : broken.length > 0 ? 'degraded' : 'ok',
      database: db ? 'ok' : 'not answering',
      forms: app.services.forms.list().length,
      ...(broken.length > 0 && { broken }),
    })
  })
}
