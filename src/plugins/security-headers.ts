/**
 * Security headers on every answer: helmet's policy (CSP, X-Frame-Options, nosniff, Referrer-Policy
 * and the rest), worked out ONCE at start and copied onto each reply.
 *
 * Why not @fastify/helmet: it calls `helmet(options)` again for every request, re-parsing the CSP
 * directives and rebuilding a dozen middlewares: a fifth of a form page's time (docs/performance.md).
 * Our headers do not depend on the request (no CSP nonces), so helmet itself decides the headers,
 * once, by running its middleware against a stand-in response, and each request gets a copy of that
 * fixed list. Routes may still change them per reply (the form pages lift frame-ancestors for the
 * origins a form allows; the staff pages add no-store).
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/** The headers helmet sets for `options`, as name → value, in the order it sets them. */
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] },
  }
  let failed: unknown
  helmet(options)({} as never, res as never, (err?: unknown) => { failed = err })
  if (failed) throw failed
  return headers
}

async function securityHeaders (app: FastifyInstance, options: HelmetOptions) {
  const fixed = Object.entries(helmetHeaders(options))
  app.addHook('onRequest', (_req, reply, done) => {
    for (const [name, value] of fixed) reply.header(name, value)
    done()
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
