/**
 * buildApp(config): the whole server, without listening (server.ts listens; tests use `inject`).
 * Plugins are registered in a fixed order: ecosystem plugins → our infrastructure → routes, then the
 * error and not-found pages.
 */
import path from 'node:path'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import { pino } from 'pino'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { createSiteSettings, type SiteSettings } from './admin/site.js'
import { createMailer } from './alerts/mailer.js'
import { alertsOff, createAlertSender, type AlertSender, type AlertSenderOptions } from './alerts/sender.js'
import type { Config } from './config.js'
import { createFormRegistry, type FormRegistry } from './forms/registry.js'
import { databaseFormSource, fileFormSource, importFiles, makeFromExamples, type FormSource } from './forms/source.js'
import { acquireInstanceLock } from './outbox/instance-lock.js'
import { createRelay, type RelayOptions } from './outbox/relay.js'
import { PUBLIC_DIR } from './paths.js'
import securityHeaders from './plugins/security-headers.js'
import services from './plugins/services.js'
import view from './plugins/view.js'
import embedRoutes from './routes/embed.js'
import formRoutes from './routes/forms.js'
import healthRoutes from './routes/health.js'
import siteRoutes from './routes/site.js'
import homeRoutes from './routes/home.js'
import adminRoutes from './routes/admin/index.js'
import { errorPage, renderNotFound } from './routes/pages.js'
import { deriveKey } from './security/encryption.js'
import { widerThanPrivate } from './security/file-modes.js'
import { createFormTokens } from './security/form-token.js'
import { resolveSecretKey, SECRET_FILE } from './security/secret-key.js'
import { folderError } from './startup-error.js'
import { openStorage, type Storage } from './storage/index.js'

export interface AppDeps {
  /** A pino instance or options; false for silence. Default: pino at config.logLevel. */
  logger?: FastifyBaseLogger | boolean | object
  now?: () => Date
  /** Relay settings for tests and the bench (HTTP dispatcher, timeouts, concurrency). */
  relay?: RelayOptions
  /** Default true: deliver in this process. The ops CLI and some tests build the app without it. */
  startWorker?: boolean
  /** Whether FORMS_DIR can be written (staff form editor; files only). Default: fs.access W_OK; tests simulate a read-only folder. */
  formsWritable?: () => Promise<boolean>
  /** The mail worker's timings, for tests. */
  alerts?: Pick<AlertSenderOptions, 'pollMs' | 'leaseMs' | 'retryBaseMs'>
}

/**
 * One log line per request, when it has been answered (method, path, status, time), instead of
 * Fastify's two; at `debug` for a page served or a redirect, at `info` for anything refused. At the
 * default level the log tells what happened to referrals and what went wrong, not every page view,
 * and a line per page view was a noticeable share of serving it (docs/performance.md).
 */
class OneLinePerRequest extends LogController {
  override incomingRequest () {}
  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...fields, err: error }, 'request errored')
    else if (reply.statusCode >= 400) reply.log.info(fields, 'request completed')
    else reply.log.debug(fields, 'request completed')
  }
}

/** The largest form body accepted: generous for six people and long answers, small enough to refuse floods. */
export const BODY_LIMIT = 256 * 1024

/** Fastify's logger options: the instance given, silence, or pino at LOG_LEVEL writing to a buffered stdout. */
function fastifyLogger (config: Config, given: AppDeps['logger']): { loggerInstance: FastifyBaseLogger } | { logger: false | object } {
  if (given !== null && typeof given === 'object' && 'child' in given) return { loggerInstance: given as FastifyBaseLogger }
  if (given === false) return { logger: false }
  const options = typeof given === 'object' ? given : { level: config.logLevel }
  return {
    logger: {
      // Written in 4 KB chunks (or every second) rather than a write(2) per line (docs/performance.md);
      // pino flushes it when the process exits.
      ...('stream' in options ? {} : { stream: pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 }) }),
      ...options,
      // Requests are logged without the client's address or any body: no personal data in logs.
      serializers: { req: (req: { method: string, url: string }) => ({ method: req.method, url: req.url.split('?')[0] }) },
    },
  }
}

/**
 * The forms' home: with storage several servers share (PostgreSQL), the database (FORMS_DIR imported
 * into it at first start); otherwise the files in FORMS_DIR (the default folder made from the examples).
 */
async function openFormSource (config: Config, storage: Storage, log: FastifyBaseLogger, now: number, writable: AppDeps['formsWritable']): Promise<FormSource> {
  if (storage.shared) {
    try {
      await importFiles(config.formsDir, storage.forms, storage.settings, log, { fromExamples: config.formsDirIsDefault, now })
    } catch (err) {
      throw folderError('FORMS_DIR', config.formsDir, err, 'point FORMS_DIR at the folder of the form files to import into the database')
    }
    return databaseFormSource(storage.forms)
  }
  if (config.formsDirIsDefault) await makeFromExamples(config.formsDir, log)
  return fileFormSource({ dir: config.formsDir, history: storage.formHistory, writable })
}

export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...fastifyLogger(config, deps.logger),
    logController: new OneLinePerRequest(),
    bodyLimit: BODY_LIMIT,
    trustProxy: typeof config.trustProxy === 'number'
      ? ((hops: number) => (_address: string, hop: number) => hop < hops)(config.trustProxy)
      : config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  })

  const secret = resolveSecretKey(config.secretKey, config.dataDir)
  const storage = await openStorage({ dataDir: config.dataDir, secret, databaseUrl: config.databaseUrl })
  const dataFiles = storage.shared ? [] : [config.dataDir, path.join(config.dataDir, SECRET_FILE)]
  for (const warning of [...widerThanPrivate(dataFiles), ...storage.notices]) app.log.warn(warning)
  const now = deps.now ?? (() => new Date())
  // One clock for the pages and the worker (tests pin it): token expiry and retention compare their times.
  let requestsSeen = 0
  app.addHook('onRequest', (_req, _reply, done) => {
    requestsSeen++
    done()
  })
  const relay = createRelay(config, storage, app.log, { now: () => now().getTime(), requestsSeen: () => requestsSeen, ...deps.relay })
  let releaseLock: (() => void) | undefined
  let forms: FormRegistry | undefined
  let alertSender: AlertSender | undefined
  app.addHook('onReady', async () => {
    if (deps.startWorker === false) return
    // One delivering server per SQLite file; servers sharing PostgreSQL coordinate through their claims.
    if (!storage.shared) releaseLock = acquireInstanceLock(config.dataDir)
    await relay.worker.start()
    if (alertSender) await alertSender.start()
    else await alertsOff(storage, now().getTime())
  })
  app.addHook('onClose', async () => {
    site?.close()
    await relay.worker.stop()
    await alertSender?.stop()
    await forms?.close()
    await storage.close()
    releaseLock?.()
  })
  let formSource: FormSource
  let site: SiteSettings
  try {
    site = await createSiteSettings(storage.settings, config.charityName)
    formSource = await openFormSource(config, storage, app.log, now().getTime(), deps.formsWritable)
    forms = await createFormRegistry(formSource, app.log)
  } catch (err) {
    await storage.close()
    throw err
  }

  const mailer = config.mail && await createMailer(config.mail)
  if (config.mail && mailer && deps.startWorker !== false) {
    alertSender = createAlertSender({
      storage, mailer, mail: config.mail, publicUrl: config.publicUrl, charityName: config.charityName, forms, log: app.log, now: () => now().getTime(), ...deps.alerts,
    })
  }

  // Security headers (helmet's policy, computed once), then ecosystem plugins.
  await app.register(securityHeaders, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: config.publicUrl.startsWith('https:'),
    // Not framable unless a form allows it (src/routes/forms.ts lifts both for that form's origins).
    frameguard: { action: 'deny' },
  })
  await app.register(formbody)
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/public/', maxAge: '1d', index: false })

  // Our infrastructure.
  await app.register(view)
  await app.register(services, { config, forms, formSource, storage, relay, tokens: createFormTokens(secret), now, mail: { mailer, sender: alertSender }, site })
  // Who is asking, for the public pages' layout (a form in an iframe leaves it out: views/layout.eta).
  app.addHook('preHandler', async (_req, reply) => {
    const s = site.current()
    reply.locals = { ...reply.locals, site: s, siteCss: s.accent ? `/site.css?v=${site.version()}` : undefined, siteLogo: s.logo ? `/site-logo?v=${site.version()}` : undefined }
  })

  // Kind pages for errors, set before the routes: a route takes the error handler in force when it is declared.
  app.setNotFoundHandler((_req, reply) => renderNotFound(reply))
  app.setErrorHandler(errorPage)

  // Routes.
  await app.register(homeRoutes)
  await app.register(formRoutes)
  await app.register(embedRoutes)
  await app.register(healthRoutes)
  await app.register(siteRoutes)
  await app.register(adminRoutes, { prefix: '/admin', sessionSecret: deriveKey(secret, 'admin-session-v1').toString('base64url') })

  return app
}
