/**
 * The staff pages under /admin: one encapsulated plugin, so its cookie, session, CSRF and rate-limit
 * plugins and its hooks reach no public page (the public forms set no cookie at all: ADR 0002).
 *
 * Order of the guards on every request: no ADMIN_PASSWORD → 503 page, before anything else; a limit
 * of requests per client address; the session (cookie `rf_admin`, path /admin, HttpOnly,
 * SameSite=Strict, Secure when PUBLIC_URL is https, 8 hours idle), never stored before a sign-in;
 * not signed in → 303 to the sign-in page (the page asked for in `?return=`); every POST of a signed-in
 * session → CSRF token checked (403); the sign-in form has its own check (sign-in-guard.ts).
 * Every answer: `Cache-Control: no-store`, never framable, not indexed.
 */
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import type { Readable } from 'node:stream'
import { LOGO_MAX_BYTES } from '../../admin/site.js'
import { readUpload } from './upload.js'
import rateLimit from '@fastify/rate-limit'
import session from '@fastify/session'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, Session } from 'fastify'
import { createAuditLog, staffActor } from '../../admin/audit.js'
import type { ConnectionTest, DestinationType } from '../../admin/connections.js'
import { actorOf, can, homeOf, ROLE_LABELS, type Permission, type Staff } from '../../admin/roles.js'
import { createFormBuilder } from '../../admin/form-builder.js'
import { createFormEditor, FORM_ID_PATTERN } from '../../admin/form-editor.js'
import { isUnavailable } from '../../storage/index.js'
import { createSessionStore, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../admin/session-store.js'
import accountRoutes, { REQUIRE_2FA, TWO_FACTOR_PATH } from './accounts.js'
import ssoRoutes from './sso.js'
import alertRoutes from './alerts.js'
import siteSettingsRoutes from './site.js'
import auditRoutes from './audit.js'
import connectionRoutes from './connections.js'
import deliveryRoutes from './deliveries.js'
import formBuilderRoutes from './form-builder.js'
import formHistoryRoutes from './form-history.js'
import formPreviewRoutes from './form-preview.js'
import formRoutes from './forms.js'
import { tooManyRequests } from '../pages.js'
import { renderMessage, SESSION_COOKIE, type AdminContext } from './render.js'
import signInRoutes, { SIGN_IN_PATH, signInUrl } from './sign-in.js'

export interface AdminOptions {
  /** At least 32 characters: signs the session cookie (derived from SECRET_KEY by the app). */
  sessionSecret: string
}

declare module 'fastify' {
  interface Session {
    /** Signed in with the shared ADMIN_PASSWORD (only while no account exists). */
    signedIn?: boolean
    /** Signed in as this account. */
    accountId?: number
    /** When the sign-in happened: a session ends SESSION_ABSOLUTE_MS later, however busy. */
    signedInAt?: number
    /** The password was right; the second factor is still to come. */
    pending?: { accountId: number, at: number, returnTo?: string | undefined }
    /** The last connection test of each CRM (what it listed), so testing one keeps the other's. */
    connectionTests?: Partial<Record<DestinationType, ConnectionTest>>
    /** A TOTP secret being set up, until its first code is typed. */
    totpSetup?: { secret: string, at: number }
    /** A message for the next page shown (after a redirect). */
    flash?: { kind: 'success' | 'warning', text: string }
    /** Edited, unsaved YAML per form id (for the preview and the way back from it). */
    drafts?: Record<string, { text: string, base: string }>
  }
  interface FastifyContextConfig {
    /** Reachable without signing in (the sign-in pages). */
    adminPublic?: boolean
    /** What the route needs of the staff member's role (every other staff route must say). */
    permission?: Permission
  }
  interface FastifyRequest {
    /** Who is signed in, worked out afresh on every request (so a role change or a disabling takes effect at once). */
    staff?: Staff
  }
}

/** Requests to the staff pages per client address per minute: far more than a person clicks. */
export const ADMIN_REQUESTS_PER_MINUTE = 300

export default async function adminRoutes (app: FastifyInstance, opts: AdminOptions) {
  const { config, forms, storage, now } = app.services
  // Accounts are disabled, never deleted: once one exists the answer stays yes, and is not asked
  // of the database again on every staff request.
  let accountsExist = false
  const hasAccounts = async () => accountsExist || (accountsExist = await storage.accounts.count() > 0)
  const editor = createFormEditor({ source: app.services.formSource, registry: forms, history: storage.formHistory, now: () => now().getTime() })
  const ctx: AdminContext = {
    config,
    sessionSecret: opts.sessionSecret,
    editor,
    builder: createFormBuilder({ editor, drafts: storage.drafts, now: () => now().getTime() }),
    audit: createAuditLog(storage.audit, () => now().getTime()),
    deliveries: storage.deliveries,
    accounts: storage.accounts,
    hasAccounts,
  }
  const twoFactorRequired = async (staff: Staff) => staff.account?.has_password === true && await storage.settings.get(REQUIRE_2FA) === 'yes'

  // Every staff route says who may use it; a route that does not is a mistake, refused at start.
  app.addHook('onRoute', (route) => {
    if (!route.config?.adminPublic && !route.config?.permission) throw new Error(`The staff route ${route.method} ${route.url} declares no permission`)
  })

  // Never open without a way to sign in: every admin URL says how to make one.
  app.addHook('onRequest', async (_req, reply) => {
    if (config.adminPassword || config.sso || await hasAccounts()) return
    return renderMessage(reply, ctx, 503, 'The staff pages are switched off', [
      'There is no staff account yet. Make the first one on the server with: npm run users -- create-admin you@example.org',
      'Or, for one password shared by all staff, set ADMIN_PASSWORD in the environment (or in the .env file beside package.json) and restart the server.',
    ])
  })

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store')
    reply.header('x-frame-options', 'DENY')
    reply.header('x-robots-tag', 'noindex, nofollow')
    const csp = reply.getHeader('content-security-policy')
    if (typeof csp === 'string' && !csp.includes("frame-ancestors 'none'")) {
      reply.header('content-security-policy', /frame-ancestors/.test(csp) ? csp.replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'") : `${csp};frame-ancestors 'none'`)
    }
    return payload
  })

  await app.register(cookie, { secret: opts.sessionSecret })
  await app.register(session, {
    secret: opts.sessionSecret,
    cookieName: SESSION_COOKIE,
    store: createSessionStore<Session>(storage.sessions, { idleMs: SESSION_IDLE_MS, now: () => now().getTime() }),
    saveUninitialized: false,
    rolling: true,
    cookie: { path: '/admin', httpOnly: true, sameSite: 'strict', secure: config.publicUrl.startsWith('https:'), maxAge: SESSION_IDLE_MS },
  })
  await app.register(csrf, { sessionPlugin: '@fastify/session' })
  // File uploads (the logo on Site settings), here only: read into the body before the CSRF check reads it.
  app.addContentTypeParser('multipart/form-data', async (req: FastifyRequest, payload: Readable) =>
    readUpload(req.headers, payload, { fileSize: LOGO_MAX_BYTES + 1, files: 1, fields: 4 }))
  // Every staff URL, per client address (the sign-in POST has its own, lower limit).
  await app.register(rateLimit, { global: true, max: ADMIN_REQUESTS_PER_MINUTE, timeWindow: 60 * 1000, errorResponseBuilder: (_req, c) => tooManyRequests(c.ttl) })

  // After the rate limit (a route's own onRequest hook), so a flood of anonymous requests is limited too.
  app.addHook('preParsing', async (req, reply) => {
    req.staff = await identify(req)
    const { adminPublic, permission } = req.routeOptions.config
    if (adminPublic) return
    if (!req.staff) return reply.code(303).header('location', req.method === 'GET' ? signInUrl(req.url) : SIGN_IN_PATH).send()
    if (permission !== 'self' && req.staff.account && req.staff.account.totp_enabled_at === null && await twoFactorRequired(req.staff)) {
      return reply.code(303).header('location', TWO_FACTOR_PATH).send()
    }
    if (permission && !can(req.staff.role, permission)) {
      req.log.info({ permission }, 'Staff page refused: the role may not use it')
      await ctx.audit.record(req.staff.actor, 'access refused', `${req.method} ${req.routeOptions.url ?? ''}`, `needs ${permission}`)
      return renderMessage(reply, ctx, 403, 'You cannot use this page', [`Your role (${ROLE_LABELS[req.staff.role]}) does not include this. An admin can change your role.`])
    }
  })

  /** Who the session belongs to, if anyone still may: a gone or disabled account, an old session or a shared-password session once accounts exist ends here. */
  async function identify (req: FastifyRequest): Promise<Staff | undefined> {
    const s = req.session
    if (!s) return undefined
    const expired = s.signedInAt === undefined || now().getTime() - s.signedInAt > SESSION_ABSOLUTE_MS
    if (s.accountId !== undefined) {
      const account = await storage.accounts.findById(s.accountId)
      if (account && account.disabled_at === null && !expired) return { role: account.role, account, actor: actorOf(account) }
      if (account?.disabled_at != null) await ctx.audit.record(actorOf(account), 'session ended', undefined, 'the account is disabled')
    } else if (s.signedIn === true) {
      if (config.adminPassword && !expired && !await hasAccounts()) return { role: 'admin', account: undefined, actor: staffActor(s.sessionId) }
    } else {
      return undefined
    }
    await s.destroy()
    return undefined
  }
  // Parameters are checked before anything uses them (a lookup, a Location header): one that cannot
  // be a form id, a version or a destination is a 404 page. References are read by readReference.
  app.addHook('preValidation', async (req, reply) => {
    const p = req.params as Partial<Record<'id' | 'version' | 'destination' | 'accountId', string>> | undefined
    if ((p?.id !== undefined && !FORM_ID_PATTERN.test(p.id)) || (p?.version !== undefined && !/^\d{1,15}$/.test(p.version)) ||
      (p?.accountId !== undefined && !/^\d{1,15}$/.test(p.accountId)) ||
      (p?.destination !== undefined && !/^[a-z]{1,20}$/.test(p.destination))) {
      return renderMessage(reply, ctx, 404, 'Page not found', ['There is no staff page at this address.'])
    }
  })
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'POST' && !req.routeOptions.config.adminPublic) app.csrfProtection(req, reply, done)
    else done()
  })

  app.setErrorHandler((err: FastifyError & { retryAfter?: string }, req, reply) => errorPage(err, req, reply))
  app.setNotFoundHandler((_req, reply) => renderMessage(reply, ctx, 404, 'Page not found', ['There is no staff page at this address.']))

  function errorPage (err: FastifyError & { retryAfter?: string }, req: FastifyRequest, reply: FastifyReply) {
    const status = err.statusCode ?? 500
    if (status === 429) {
      if (err.retryAfter) reply.header('retry-after', err.retryAfter)
      return renderMessage(reply, ctx, 429, 'Too many attempts', [req.routeOptions.url === SIGN_IN_PATH
        ? 'There have been too many sign-in attempts from your connection. Wait 15 minutes, then try again.'
        : 'There have been too many requests from your connection. Wait a minute, then try again.'])
    }
    if (err.code === 'FST_CSRF_MISSING_SECRET' || err.code === 'FST_CSRF_INVALID_TOKEN') {
      req.log.info({ code: err.code }, 'Staff page form refused: CSRF token missing or wrong')
      return renderMessage(reply, ctx, 403, 'That page had expired', [
        'For your safety, a form on the staff pages only works from the page that showed it, while you are signed in. Go back, reload the page and try again.',
      ])
    }
    if (status >= 400 && status < 500) {
      req.log.info({ status, code: err.code }, 'Staff request refused')
      return renderMessage(reply, ctx, status, 'Sorry, we could not read that', ['Go back and try again.'])
    }
    if (isUnavailable(err)) {
      req.log.error({ url: req.url.split('?')[0] }, 'The database did not answer: the staff page was not shown (try again in a minute)')
      return renderMessage(reply.header('retry-after', '60'), ctx, 503, 'The database is not answering just now', [
        'Nothing has been lost: referrals already received are kept. Wait a minute, then try again. If this lasts, tell whoever runs the server that the database is not answering.',
      ])
    }
    req.log.error({ err }, 'Unexpected error on a staff page')
    return renderMessage(reply, ctx, 500, 'Sorry, something went wrong', ['There is a problem on our side. Try again in a few minutes.'])
  }

  app.get('/', { config: { permission: 'self' } }, async (req, reply) => reply.code(303).header('location', homeOf(req.staff!.role)).send())
  await app.register(signInRoutes, { ctx })
  await app.register(accountRoutes, { ctx })
  await app.register(ssoRoutes, { ctx })
  await app.register(formRoutes, { ctx })
  await app.register(formPreviewRoutes, { ctx })
  await app.register(formHistoryRoutes, { ctx })
  await app.register(formBuilderRoutes, { ctx })
  await app.register(connectionRoutes, { ctx })
  await app.register(deliveryRoutes, { ctx })
  await app.register(auditRoutes, { ctx })
  await app.register(alertRoutes, { ctx })
  await app.register(siteSettingsRoutes, { ctx })
}
