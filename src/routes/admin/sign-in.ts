/**
 * Signing in and out. One shared password (ADMIN_PASSWORD), compared in constant time: both sides
 * are hashed with SHA-256 first, so neither their contents nor their lengths leak through timing. The
 * password is never logged or stored. Sign-in attempts are limited per client address; a new
 * session id is issued on sign-in (no session fixation).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { staffActor } from '../../admin/audit.js'
import { actor, renderPage, seeOther, SESSION_COOKIE, type RouteOptions } from './render.js'

export const SIGN_IN_PATH = '/admin/sign-in'
/** Sign-in attempts per client address per 15 minutes. */
export const SIGN_IN_ATTEMPTS = 10

export function passwordMatches (given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}

/** Only our own pages: a path under /admin, never another site (`//host`) or a scheme. */
const isOwnPage = (url: string | undefined): url is string => typeof url === 'string' && /^\/admin(\/[^/\\]|\/?$|\?)/.test(url)

export default async function signInRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const page = (req: FastifyRequest, signedOut: boolean, error?: string) => ({
    pageTitle: (error ? 'Error: ' : '') + 'Sign in',
    errors: error ? [{ id: 'password', message: error }] : [],
    error,
    signedOut,
    // The cookie is Secure when PUBLIC_URL is https; a request seen as http (a proxy that ends TLS,
    // without TRUST_PROXY) would never get it, and signing in would fail without saying why.
    insecure: ctx.config.publicUrl.startsWith('https:') && req.protocol !== 'https',
  })

  app.get<{ Querystring: { 'signed-out'?: string } }>('/sign-in', { config: { adminPublic: true } }, async (req, reply) => {
    if (req.session.signedIn) return seeOther(reply, '/admin/deliveries')
    return renderPage(reply, ctx, 'sign-in', page(req, req.query['signed-out'] !== undefined))
  })

  app.post<{ Body: { password?: unknown } }>('/sign-in', {
    config: { adminPublic: true, rateLimit: { max: SIGN_IN_ATTEMPTS, timeWindow: 15 * 60 * 1000 } },
  }, async (req, reply) => {
    const given = typeof req.body?.password === 'string' ? req.body.password : ''
    const expected = ctx.config.adminPassword ?? ''
    if (given === '' || expected === '' || !passwordMatches(given, expected)) {
      await ctx.audit.record(staffActor(undefined), 'sign-in failed')
      req.log.info('Staff sign-in refused')
      return renderPage(reply, ctx, 'sign-in', page(req, false, given === '' ? 'Enter the staff password' : 'The password is not right'), 422)
    }
    const returnTo = req.session.returnTo
    await req.session.regenerate()
    req.session.signedIn = true
    await ctx.audit.record(actor(req), 'sign-in')
    req.log.info('Staff signed in')
    return seeOther(reply, isOwnPage(returnTo) ? returnTo : '/admin/deliveries')
  })

  app.post('/sign-out', async (req, reply) => {
    await ctx.audit.record(actor(req), 'sign-out')
    await req.session.destroy()
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' })
    return seeOther(reply, `${SIGN_IN_PATH}?signed-out`)
  })
}
