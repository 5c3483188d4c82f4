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

  /** Each CRM's last test in this session stays on the page while the other is tested (IDs and names only). */
  const page = (tested: Partial<Record<DestinationType, ConnectionTest>>) => ({
    pageTitle: 'Connections',
    section: 'connections' as const,
    connections: DESTINATIONS.map((d) => ({
      ...connectionStatus(relay.crms, d),
      forms: forms.list().filter((f) => f.definition.destination.type === d).map((f) => f.definition.id),
      result: tested[d],
    })),
  })

  app.get('/connections', { config: { permission: 'connections' } }, async (req, reply) => renderPage(reply, ctx, 'connections', page(req.session.connectionTests ?? {})))

  app.post<{ Params: { destination: string } }>('/connections/:destination/test', { config: { permission: 'connections' } }, async (req, reply) => {
    const destination = DESTINATIONS.find((d) => d === req.params.destination)
    if (!destination) return reply.callNotFound()
    const result = await testConnection(relay.crms, destination, forms.list().map((f) => f.definition))
    await ctx.audit.record(actor(req), 'connection tested', destination, result.ok ? 'answered' : result.reason)
    req.log.info({ destination, ok: result.ok }, 'Connection tested from the staff pages')
    req.session.connectionTests = { ...req.session.connectionTests, [destination]: result }
    return renderPage(reply, ctx, 'connections', page(req.session.connectionTests))
  })
}
