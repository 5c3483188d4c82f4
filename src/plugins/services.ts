/**
 * The app's services, made by plain factories and decorated at the edge so routes can reach them.
 * The domain folders (forms, outbox, crm) know nothing of Fastify.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SiteSettings } from '../admin/site.js'
import type { Mailer } from '../alerts/mailer.js'
import type { AlertSender } from '../alerts/sender.js'
import type { Config } from '../config.js'
import type { FormRegistry } from '../forms/registry.js'
import type { FormSource } from '../forms/source.js'
import type { Relay } from '../outbox/relay.js'
import type { FormTokens } from '../security/form-token.js'
import type { Storage } from '../storage/index.js'

export interface Services {
  config: Config
  forms: FormRegistry
  /** Where the forms' texts live (files or the database); the staff editor writes there. */
  formSource: FormSource
  storage: Storage
  relay: Relay
  tokens: FormTokens
  /** The clock, so tests can pin "today". */
  now: () => Date
  /** Email alerts: both undefined when no mail server is set (the sender also when this process does not deliver). */
  mail: { mailer: Mailer | undefined, sender: AlertSender | undefined }
  /** Who is asking, site-wide: the charity's name, accent colour, accessibility statement. */
  site: SiteSettings
}

declare module 'fastify' {
  interface FastifyInstance { services: Services }
}

export default fp(async function servicesPlugin (app: FastifyInstance, services: Services) {
  app.decorate('services', services)
}, { name: 'services' })
