/** `GET /`: the list of live forms, so a new install shows what it serves. */
import type { FastifyInstance } from 'fastify'

export default async function homeRoutes (app: FastifyInstance) {
  app.get('/', async (_req, reply) => {
    const forms = app.services.forms.list().map((f) => ({ id: f.definition.id, title: f.definition.title }))
    return reply.view('index', { lang: 'en', pageTitle: 'Referral forms', forms })
  })
}
