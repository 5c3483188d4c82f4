/**
 * Connections: per CRM, whether its credentials are set (names of the missing variables only), and
 * "Test connection" (a POST: it calls the CRM), showing what came back (IDs and names to use in the
 * form files) and warning about live forms whose mapping uses an ID the CRM does not list.
 */
import type { FastifyInstance } from 'fastify'
import { connectionStatus, DESTINATIONS, testConnection, type ConnectionTest, type DestinationType } from '../../admin/connections.js'
import { actor, renderPage, type RouteOptions } from './render.js'

export default async function connectionRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { forms, relay } = app.services

  const page = (tested?: { destination: DestinationType, result: ConnectionTest }) => ({
    pageTitle: 'Connections',
    section: 'connections' as const,
    connections: DESTINATIONS.map((d) => ({
      ...connectionStatus(relay.crms, d),
      forms: forms.list().filter((f) => f.definition.destination.type === d).map((f) => f.definition.id),
      result: tested?.destination === d ? tested.result : undefined,
    })),
  })

  app.get('/connections', { config: { permission: 'connections' } }, async (_req, reply) => renderPage(reply, ctx, 'connections', page()))

  app.post<{ Params: { destination: string } }>('/connections/:destination/test', { config: { permission: 'connections' } }, async (req, reply) => {
    const destination = DESTINATIONS.find((d) => d === req.params.destination)
    if (!destination) return reply.callNotFound()
    const result = await testConnection(relay.crms, destination, forms.list().map((f) => f.definition))
    await ctx.audit.record(actor(req), 'connection tested', destination, result.ok ? 'answered' : result.reason)
    req.log.info({ destination, ok: result.ok }, 'Connection tested from the staff pages')
    return renderPage(reply, ctx, 'connections', page({ destination, result }))
  })
}
