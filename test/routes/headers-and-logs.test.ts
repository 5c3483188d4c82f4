/**
 * What every answer carries and what every request leaves in the log, now that both are made cheaply
 * (src/plugins/security-headers.ts: helmet's headers worked out once; src/app.ts: one log line per
 * request): the same headers as helmet's own middleware sets, on every kind of page, and one line per
 * request with no query string or body in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { helmetHeaders } from '../../src/plugins/security-headers.js'
import { buildTestApp, FORM_HEADERS, form, type TestApp } from '../helpers/app.js'

const HELMET_HEADERS = [
  'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster',
  'referrer-policy', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options',
  'x-permitted-cross-domain-policies', 'x-xss-protection',
]

let t: TestApp
beforeAll(async () => { t = await buildTestApp() })
afterAll(async () => { await t.close() })

describe('security headers', () => {
  it('are what helmet itself sets for the options given', () => {
    const headers = helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } } })
    expect(Object.keys(headers).sort()).toEqual([...HELMET_HEADERS, 'strict-transport-security'].sort())
    expect(headers['content-security-policy']).toContain("default-src 'self'")
    expect(headers['x-content-type-options']).toBe('nosniff')
    expect(headers).not.toHaveProperty('x-powered-by')
  })

  it('are on every kind of answer, alike on each request, without HSTS on plain http', async () => {
    const answers = [
      await t.app.inject({ url: '/' }),
      await t.app.inject({ url: '/forms/carers-referral' }),
      await t.app.inject({ url: '/forms/carers-referral' }),
      await t.app.inject({ url: '/nowhere' }),
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ method: 'POST', url: '/forms/carers-referral', headers: FORM_HEADERS, payload: form({ _action: 'submit' }) }),
    ]
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 404, 200, 422])
    for (const a of answers) {
      for (const name of HELMET_HEADERS.filter((h) => h !== 'x-frame-options' && h !== 'content-security-policy')) {
        expect(a.headers[name], name).toBe(answers[0]!.headers[name])
      }
      expect(a.headers['content-security-policy']).toMatch(/^default-src 'self';/)
      expect(a.headers['strict-transport-security']).toBeUndefined()
    }
    expect(answers[1]!.headers['content-security-policy']).toBe(answers[2]!.headers['content-security-policy'])
  })
})

describe('the request log', () => {
  const linesSince = (before: number) => t.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)

  it('at info, has a line for a request refused and none for a page served', async () => {
    const before = t.logs.length
    await t.app.inject({ url: '/forms/carers-referral' })
    await t.app.inject({ method: 'POST', url: '/forms/carers-referral', headers: FORM_HEADERS, payload: form({ 'carer[0][first_name]': 'Morgan' }) })
    const requests = linesSince(before).filter((l) => l.msg === 'request completed')
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({ level: 30, req: { method: 'POST', url: '/forms/carers-referral' }, res: { statusCode: 422 } })
    expect(t.logs.slice(before).join('')).not.toContain('Morgan')
  })

  it('at debug, has one line per request, once answered, with method, path, status and time, and no query or body', async () => {
    t.app.log.level = 'debug'
    try {
      const before = t.logs.length
      await t.app.inject({ url: '/forms/carers-referral?embed=https://secret.example.org&name=Morgan' })
      await t.app.inject({ method: 'POST', url: '/forms/carers-referral', headers: FORM_HEADERS, payload: form({ 'carer[0][first_name]': 'Morgan' }) })
      const lines = linesSince(before)
      const requests = lines.filter((l) => l.msg === 'request completed')
      expect(requests).toHaveLength(2)
      expect(lines.some((l) => l.msg === 'incoming request')).toBe(false)
      expect(requests[0]).toMatchObject({ level: 20, req: { method: 'GET', url: '/forms/carers-referral' }, res: { statusCode: 200 } })
      expect(requests[1]).toMatchObject({ level: 30, req: { method: 'POST', url: '/forms/carers-referral' }, res: { statusCode: 422 } })
      expect(typeof requests[0]!.responseTime).toBe('number')
      const text = t.logs.slice(before).join('')
      expect(text).not.toContain('secret.example.org')
      expect(text).not.toContain('Morgan')
    } finally {
      t.app.log.level = 'info'
    }
  })
})
