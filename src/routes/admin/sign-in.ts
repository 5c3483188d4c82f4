/**
 * Signing in and out. One shared password (ADMIN_PASSWORD), compared in constant time: both sides
 * are hashed with SHA-256 first, so neither their contents nor their lengths leak through timing. The
 * password is never logged or stored. Nothing is stored before the password is right (the form's CSRF
 * check and the delays are sign-in-guard.ts's); then a new session is made (no session fixation).
 * Limits: attempts per client address (rate limit), a growing delay per account, a cap per hour.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { staffActor } from '../../admin/audit.js'
import { createSignInThrottle, createSignInTokens, SIGN_IN_COOKIE, SIGN_IN_TOKEN_TTL_MS } from '../../admin/sign-in-guard.js'
import { actor, renderMessage, renderPage, seeOther, SESSION_COOKIE, type RouteOptions } from './render.js'

export const SIGN_IN_PATH = '/admin/sign-in'
/** Sign-in attempts per client address per 15 minutes. */
export const SIGN_IN_ATTEMPTS = 10
/** The one account there is until named accounts exist. */
const SHARED_ACCOUNT = 'staff'

export function passwordMatches (given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}

/** Only our own pages: a path under /admin, never another site (`//host`) or a scheme. */
export const isOwnPage = (url: unknown): url is string => typeof url === 'string' && url.length <= 2000 && /^\/admin(\/[^/\\]|\/?$|\?)/.test(url)

/** Where "sign in" leads for a page asked for without a session: the page comes back in `?return=`. */
export function signInUrl (returnTo?: string): string {
  return isOwnPage(returnTo) && returnTo !== '/admin' && returnTo !== '/admin/' ? `${SIGN_IN_PATH}?${new URLSearchParams({ return: returnTo })}` : SIGN_IN_PATH
}

export default async function signInRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const tokens = createSignInTokens(ctx.sessionSecret)
  const throttle = createSignInThrottle()
  const now = () => app.services.now().getTime()

  /** The sign-in page, with a fresh form token and its cookie. */
  function page (req: FastifyRequest, reply: FastifyReply, o: { signedOut?: boolean, error?: string, returnTo?: string }, status = 200) {
    const { token, nonce } = tokens.issue(now())
    reply.setCookie(SIGN_IN_COOKIE, nonce, {
      path: SIGN_IN_PATH, httpOnly: true, sameSite: 'strict', secure: ctx.config.publicUrl.startsWith('https:'), maxAge: SIGN_IN_TOKEN_TTL_MS / 1000,
    })
    return renderPage(reply, ctx, 'sign-in', {
      pageTitle: (o.error ? 'Error: ' : '') + 'Sign in',
      errors: o.error ? [{ id: 'password', message: o.error }] : [],
      error: o.error,
      signedOut: o.signedOut === true,
      signInToken: token,
      returnTo: isOwnPage(o.returnTo) ? o.returnTo : '',
      // The cookie is Secure when PUBLIC_URL is https; a request seen as http (a proxy that ends TLS,
      // without TRUST_PROXY) would never get it, and signing in would fail without saying why.
      insecure: ctx.config.publicUrl.startsWith('https:') && req.protocol !== 'https',
    }, status)
  }

  app.get<{ Querystring: { 'signed-out'?: string, return?: string } }>('/sign-in', { config: { adminPublic: true } }, async (req, reply) => {
    if (req.session.signedIn) return seeOther(reply, isOwnPage(req.query.return) ? req.query.return : '/admin/deliveries')
    return page(req, reply, { signedOut: req.query['signed-out'] !== undefined, returnTo: req.query.return })
  })

  app.post<{ Body: { password?: unknown, _csrf?: unknown, return?: unknown } }>('/sign-in', {
    config: { adminPublic: true, rateLimit: { max: SIGN_IN_ATTEMPTS, timeWindow: 15 * 60 * 1000 } },
  }, async (req, reply) => {
    const returnTo = isOwnPage(req.body?.return) ? req.body.return : undefined
    if (!tokens.verify(req.body?._csrf, req.cookies[SIGN_IN_COOKIE], now())) {
      req.log.info('Staff sign-in form refused: its token was missing, wrong or old')
      return renderMessage(reply, ctx, 403, 'That page had expired', [
        'For your safety, the sign-in form only works from the page that showed it, for an hour. Go back, reload the page and try again.',
      ])
    }
    const wait = throttle.waitMs(SHARED_ACCOUNT, now())
    if (wait > 0) {
      req.log.warn('Staff sign-in delayed: too many wrong passwords')
      reply.header('retry-after', String(Math.ceil(wait / 1000)))
      return renderMessage(reply, ctx, 429, 'Too many attempts', [
        `There have been too many wrong passwords. Wait ${Math.ceil(wait / 60_000)} minute(s), then try again.`,
      ])
    }
    const given = typeof req.body?.password === 'string' ? req.body.password : ''
    const expected = ctx.config.adminPassword ?? ''
    if (given === '' || expected === '' || !passwordMatches(given, expected)) {
      if (given !== '') throttle.failed(SHARED_ACCOUNT, now())
      await ctx.audit.record(staffActor(undefined), 'sign-in failed')
      req.log.info('Staff sign-in refused')
      return page(req, reply, { error: given === '' ? 'Enter the staff password' : 'The password is not right', returnTo }, 422)
    }
    throttle.succeeded(SHARED_ACCOUNT)
    await req.session.regenerate()
    req.session.signedIn = true
    reply.clearCookie(SIGN_IN_COOKIE, { path: SIGN_IN_PATH })
    await ctx.audit.record(actor(req), 'sign-in')
    req.log.info('Staff signed in')
    return seeOther(reply, returnTo ?? '/admin/deliveries')
  })

  app.post('/sign-out', async (req, reply) => {
    await ctx.audit.record(actor(req), 'sign-out')
    await req.session.destroy()
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' })
    return seeOther(reply, `${SIGN_IN_PATH}?signed-out`)
  })
}
