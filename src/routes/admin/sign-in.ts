/**
 * Signing in and out: with an account's email, password (Argon2id) and, when it has one, the code of
 * its authenticator app or a recovery code; until the first account exists, with the one shared
 * password (ADMIN_PASSWORD), compared in constant time (both sides hashed with SHA-256 first). No
 * password is ever logged or stored in clear. Nothing is stored before the password is right (the form's CSRF
 * check and the delays are sign-in-guard.ts's); then a new session is made (no session fixation).
 * Limits: attempts per client address (rate limit), a growing delay per account, a cap per hour.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { staffActor } from '../../admin/audit.js'
import { passwordMatchesHash } from '../../admin/passwords.js'
import { actorOf, homeOf } from '../../admin/roles.js'
import { createSignInThrottle, createSignInTokens, SIGN_IN_COOKIE, SIGN_IN_TOKEN_TTL_MS } from '../../admin/sign-in-guard.js'
import { hashRecoveryCode, totpStep } from '../../admin/two-factor.js'
import type { Account } from '../../storage/index.js'
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

/** How long the second step of a sign-in (the authenticator code) may wait after the password. */
const PENDING_MS = 10 * 60 * 1000

export default async function signInRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const tokens = createSignInTokens(ctx.sessionSecret)
  const throttle = createSignInThrottle()
  const now = () => app.services.now().getTime()

  /** A fresh form token and its cookie, for a page with a sign-in form. */
  function formToken (reply: FastifyReply): string {
    const { token, nonce } = tokens.issue(now())
    reply.setCookie(SIGN_IN_COOKIE, nonce, {
      path: SIGN_IN_PATH, httpOnly: true, sameSite: 'strict', secure: ctx.config.publicUrl.startsWith('https:'), maxAge: SIGN_IN_TOKEN_TTL_MS / 1000,
    })
    return token
  }

  /** The sign-in page: email and password once accounts exist, else the shared password. */
  async function page (req: FastifyRequest, reply: FastifyReply, o: { signedOut?: boolean, error?: string, email?: string, returnTo?: string | undefined }, status = 200) {
    const accounts = await ctx.hasAccounts()
    const field = accounts && o.error?.startsWith('Enter your email') ? 'email' : 'password'
    return renderPage(reply, ctx, 'sign-in', {
      pageTitle: (o.error ? 'Error: ' : '') + 'Sign in',
      errors: o.error ? [{ id: field, message: o.error }] : [],
      error: o.error,
      errorField: field,
      accounts,
      email: o.email ?? '',
      signedOut: o.signedOut === true,
      signInToken: formToken(reply),
      returnTo: isOwnPage(o.returnTo) ? o.returnTo : '',
      sso: ctx.config.sso && { label: ctx.config.sso.label, href: `/admin/sso/start${isOwnPage(o.returnTo) ? `?${new URLSearchParams({ return: o.returnTo })}` : ''}` },
      passwords: ctx.config.passwordSignIn,
      // The cookie is Secure when PUBLIC_URL is https; a request seen as http (a proxy that ends TLS,
      // without TRUST_PROXY) would never get it, and signing in would fail without saying why.
      insecure: ctx.config.publicUrl.startsWith('https:') && req.protocol !== 'https',
    }, status)
  }

  function expiredForm (req: FastifyRequest, reply: FastifyReply) {
    req.log.info('Staff sign-in form refused: its token was missing, wrong or old')
    return renderMessage(reply, ctx, 403, 'That page had expired', [
      'For your safety, the sign-in form only works from the page that showed it, for an hour. Go back, reload the page and try again.',
    ])
  }

  function tooManyTries (req: FastifyRequest, reply: FastifyReply, wait: number) {
    req.log.warn('Staff sign-in delayed: too many wrong passwords')
    reply.header('retry-after', String(Math.ceil(wait / 1000)))
    return renderMessage(reply, ctx, 429, 'Too many attempts', [
      `There have been too many wrong passwords. Wait ${Math.ceil(wait / 60_000)} minute(s), then try again.`,
    ])
  }

  /** The password (and code) were right: a new session for the account, and on to the page asked for. */
  async function signIn (req: FastifyRequest, reply: FastifyReply, account: Account, returnTo: string | undefined) {
    await req.session.regenerate()
    req.session.accountId = account.id
    req.session.signedInAt = now()
    reply.clearCookie(SIGN_IN_COOKIE, { path: SIGN_IN_PATH })
    await ctx.accounts.recordSignIn(account.id, now())
    await ctx.audit.record(actorOf(account), 'sign-in')
    req.log.info({ account: account.id }, 'Staff signed in')
    return seeOther(reply, returnTo ?? homeOf(account.role))
  }

  app.get<{ Querystring: { 'signed-out'?: string, return?: string } }>('/sign-in', { config: { adminPublic: true } }, async (req, reply) => {
    if (req.staff) return seeOther(reply, isOwnPage(req.query.return) ? req.query.return : homeOf(req.staff.role))
    return page(req, reply, { signedOut: req.query['signed-out'] !== undefined, returnTo: req.query.return })
  })

  app.post<{ Body: { email?: unknown, password?: unknown, _csrf?: unknown, return?: unknown } }>('/sign-in', {
    config: { adminPublic: true, rateLimit: { max: SIGN_IN_ATTEMPTS, timeWindow: 15 * 60 * 1000 } },
  }, async (req, reply) => {
    const returnTo = isOwnPage(req.body?.return) ? req.body.return : undefined
    if (!tokens.verify(req.body?._csrf, req.cookies[SIGN_IN_COOKIE], now())) return expiredForm(req, reply)
    const given = typeof req.body?.password === 'string' ? req.body.password : ''
    if (!ctx.config.passwordSignIn) return renderMessage(reply, ctx, 403, 'Passwords are off', [`Sign in with ${ctx.config.sso?.label ?? 'single sign-on'} instead.`])
    if (!(await ctx.hasAccounts())) return sharedSignIn(req, reply, given, returnTo)

    const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase().slice(0, 320) : ''
    if (email === '' || given === '') {
      return page(req, reply, { error: email === '' ? 'Enter your email address' : 'Enter your password', email, returnTo }, 422)
    }
    // Per account, whether it exists or not: the answer must not tell which emails have accounts.
    const wait = throttle.waitMs(email, now())
    if (wait > 0) return tooManyTries(req, reply, wait)
    const account = await ctx.accounts.findByEmail(email)
    const usable = account !== undefined && account.disabled_at === null
    const right = await passwordMatchesHash(given, usable ? await ctx.accounts.passwordHash(account.id) : undefined)
    if (!right || !usable) {
      throttle.failed(email, now())
      await ctx.audit.record(account ? actorOf(account) : staffActor(undefined), 'sign-in failed', undefined, account ? 'wrong password' : 'no such account')
      req.log.info('Staff sign-in refused')
      return page(req, reply, { error: 'The email address or the password is not right', email, returnTo }, 422)
    }
    throttle.succeeded(email)
    if (account.totp_enabled_at !== null) {
      await req.session.regenerate()
      req.session.pending = { accountId: account.id, at: now(), returnTo }
      return seeOther(reply, CODE_PATH)
    }
    return signIn(req, reply, account, returnTo)
  })

  /** Until the first account exists: the one password all staff share. */
  async function sharedSignIn (req: FastifyRequest, reply: FastifyReply, given: string, returnTo: string | undefined) {
    const wait = throttle.waitMs(SHARED_ACCOUNT, now())
    if (wait > 0) return tooManyTries(req, reply, wait)
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
    req.session.signedInAt = now()
    reply.clearCookie(SIGN_IN_COOKIE, { path: SIGN_IN_PATH })
    await ctx.audit.record(actor(req), 'sign-in')
    req.log.info('Staff signed in')
    return seeOther(reply, returnTo ?? '/admin/deliveries')
  }

  /** The account waiting for its second factor, if the password was right a moment ago. */
  const pendingOf = async (req: FastifyRequest) => {
    const p = req.session.pending
    if (!p || now() - p.at > PENDING_MS) return undefined
    const account = await ctx.accounts.findById(p.accountId)
    return account && account.disabled_at === null && account.totp_enabled_at !== null ? { account, returnTo: p.returnTo } : undefined
  }

  const codePage = (reply: FastifyReply, error?: string, status = 200) => renderPage(reply, ctx, 'sign-in-code', {
    pageTitle: (error ? 'Error: ' : '') + 'Enter the code from your app',
    errors: error ? [{ id: 'code', message: error }] : [],
    error,
    signInToken: formToken(reply),
  }, status)

  app.get('/sign-in/code', { config: { adminPublic: true } }, async (req, reply) => {
    if (!(await pendingOf(req))) return seeOther(reply, SIGN_IN_PATH)
    return codePage(reply)
  })

  app.post<{ Body: { code?: unknown, _csrf?: unknown } }>('/sign-in/code', {
    config: { adminPublic: true, rateLimit: { max: SIGN_IN_ATTEMPTS, timeWindow: 15 * 60 * 1000 } },
  }, async (req, reply) => {
    if (!tokens.verify(req.body?._csrf, req.cookies[SIGN_IN_COOKIE], now())) return expiredForm(req, reply)
    const pending = await pendingOf(req)
    if (!pending) return seeOther(reply, SIGN_IN_PATH)
    const { account } = pending
    const key = `code:${account.id}`
    const wait = throttle.waitMs(key, now())
    if (wait > 0) return tooManyTries(req, reply, wait)
    const code = typeof req.body?.code === 'string' ? req.body.code.trim().slice(0, 40) : ''
    if (code === '') return codePage(reply, 'Enter the 6-digit code from your authenticator app, or a recovery code', 422)
    const secret = await ctx.accounts.totpSecret(account.id)
    const step = secret === undefined ? undefined : totpStep(secret, code, now())
    const ok = step !== undefined
      ? await ctx.accounts.useTotpStep(account.id, step)
      : await ctx.accounts.useRecoveryCode(account.id, hashRecoveryCode(code))
    if (!ok) {
      throttle.failed(key, now())
      await ctx.audit.record(actorOf(account), 'sign-in failed', undefined, step !== undefined ? 'a code already used' : 'wrong code')
      return codePage(reply, step !== undefined ? 'That code has been used already: wait for the next one' : 'The code is not right: check the time on your phone, or use a recovery code', 422)
    }
    throttle.succeeded(key)
    if (step === undefined) await ctx.audit.record(actorOf(account), 'recovery code used', undefined, `${(await ctx.accounts.findById(account.id))?.recovery_codes_left ?? 0} left`)
    return signIn(req, reply, account, pending.returnTo)
  })

  app.post('/sign-out', { config: { permission: 'self' } }, async (req, reply) => {
    await ctx.audit.record(actor(req), 'sign-out')
    await req.session.destroy()
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' })
    return seeOther(reply, `${SIGN_IN_PATH}?signed-out`)
  })
}

export const CODE_PATH = '/admin/sign-in/code'
