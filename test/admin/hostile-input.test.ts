/**
 * Hostile input to every route, public and staff (issue 15): path parameters that are names of
 * Object.prototype members, CR/LF and U+2028, `..`, raw and broken percent-encodings, 10 KB ids;
 * bodies of the same, with prototype-polluting keys and YAML bombs for the editor; signed in and not,
 * with and without the CSRF token. Driven by fast-check, bounded in count and time. Whatever comes,
 * the answer is never a 5xx and never shows a stack trace, the live forms stay as they were, and the
 * server is healthy after.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORM_HEADERS } from '../helpers/app.js'
import { ALIAS_BOMB } from '../helpers/hostile.js'
import { addAccount, buildAdminApp, signedInAs, type AdminTestApp, type Staff } from './helpers.js'

/** Every route of the app, as `METHOD template`; a test below checks each is a route that exists. */
const ROUTES = [
  'GET /', 'GET /healthz', 'GET /embed.js', 'GET /public/:file',
  'GET /forms/:id', 'POST /forms/:id', 'GET /forms/:id/sent/:reference',
  'GET /admin', 'GET /admin/sign-in', 'POST /admin/sign-in',
  'GET /admin/forms', 'GET /admin/forms/new', 'POST /admin/forms/new',
  'GET /admin/forms/:id/edit', 'POST /admin/forms/:id/edit', 'GET /admin/forms/:id/preview', 'POST /admin/forms/:id/preview',
  'GET /admin/forms/:id/history', 'GET /admin/forms/:id/history/:version', 'POST /admin/forms/:id/history/:version/restore',
  'GET /admin/connections', 'POST /admin/connections/:destination/test',
  'GET /admin/deliveries', 'GET /admin/deliveries/:reference', 'POST /admin/deliveries/:reference/retry',
  'POST /admin/deliveries/:reference/handled', 'POST /admin/deliveries/:reference/release',
  'GET /admin/deliveries/:reference/delete', 'POST /admin/deliveries/:reference/delete', 'GET /admin/audit', 'GET /admin/audit.csv',
  'GET /admin/sign-in/code', 'POST /admin/sign-in/code', 'POST /admin/sign-out',
  'GET /admin/accounts', 'POST /admin/accounts', 'POST /admin/accounts/two-factor', 'GET /admin/accounts/:accountId', 'POST /admin/accounts/:accountId',
  'GET /admin/account', 'POST /admin/account/password', 'GET /admin/account/two-factor', 'POST /admin/account/two-factor', 'POST /admin/account/two-factor/off',
  'GET /admin/welcome', 'POST /admin/welcome', 'GET /admin/reset', 'POST /admin/reset',
  'GET /admin/alerts', 'POST /admin/alerts/test', 'POST /admin/account/alerts', 'GET /admin/site', 'POST /admin/site', 'POST /admin/site/logo', 'GET /site.css', 'GET /site-logo', 'GET /accessibility',
  'GET /admin/forms/:id/build', 'POST /admin/forms/:id/build/move', 'GET /admin/forms/:id/build/question', 'POST /admin/forms/:id/build/question',
  'GET /admin/forms/:id/build/delete', 'POST /admin/forms/:id/build/delete', 'POST /admin/forms/:id/build/publish', 'POST /admin/forms/:id/build/discard',
  'GET /admin/forms/:id/build/preview', 'POST /admin/forms/:id/build/preview', 'GET /admin/forms/:id/build/add',
  'GET /admin/forms/:id/build/group', 'POST /admin/forms/:id/build/group', 'POST /admin/forms/:id/build/group/move', 'GET /admin/forms/:id/build/group/delete',
  'POST /admin/forms/:id/build/group/delete', 'GET /admin/forms/:id/build/settings', 'POST /admin/forms/:id/build/settings',
  'GET /admin/forms/:id/build/destination', 'POST /admin/forms/:id/build/destination',
] as const

/** What a mistyped link, a bookmarklet or a careless script sends: as text, to be percent-encoded. */
const HOSTILE_TEXT = [
  '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'prototype', 'valueOf', '__defineGetter__',
  '..', '../..', '../../etc/passwd', '.', '\r\nX-Injected: yes', '\n', '\u2028', '\u2029', '\u0000', '\ud800', 'é', '🙂',
  'carers-referral', 'carers-referral\r\n', 'CARERS-REFERRAL', 'ABCDEFGH', 'abcdefgh', '1', '-1', '1e9', '99999999999999999999',
  'x'.repeat(10_000), ' ', '', '<script>alert(1)</script>', '"\'><img src=x>', '$' + '{7*7}', '%', '%%', '%zz',
]
/** Already percent-encoded, sent as they are: raw bytes and broken escapes. */
const RAW_SEGMENTS = ['%0d%0aX:y', '%E2%80%A8', '%2e%2e', '%2e%2e%2f%2e%2e', '%00', '%ff', '%c0%af', '%', '%zz', '%u2028', '..%2f', '%252e']

/** Percent-encoding that takes any string: a lone surrogate goes as the bytes Node writes for it. */
const enc = (s: string) => {
  try {
    return encodeURIComponent(s)
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
  }
}
const text = fc.oneof(fc.constantFrom(...HOSTILE_TEXT), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }))
const segment = fc.oneof(text.map(enc), fc.constantFrom(...RAW_SEGMENTS))
const YAML_BODIES = [ALIAS_BOMB, '['.repeat(5000), `id: x\n# ${'y'.repeat(300_000)}`, 'a: &a [1]\nb: *a\n', '{{{{', 'id: constructor\ntitle: T\n', '\u2028']
const fieldName = fc.oneof(
  fc.constantFrom('yaml', 'intent', 'base', 'id', 'template', 'password', 'return', '_token', '_action', '_website',
    'email', 'name', 'role', 'action', 'code', 'current', 'token', 'require', 'who', 'to', 'topics', 'seen', 'list', 'index', 'dir', 'label', 'hint', 'required', 'type', 'send', 'show_if', 'options[0][label]', 'options[99][value]', 'max_length', 'min', 'max', 'when', 'heading', 'part', 'org_type_id', 'workareaid', 'reason', 'privacy', 'phone', 'next', 'offer_email', 'title', 'intro', 'accent', 'compliance', 'problems', 'contact', 'reviewed', 'logo', 'remove',
    '__proto__', '__proto__[polluted]', 'constructor[prototype][polluted]', 'carer[0][first_name]', 'carer[__proto__][x]', 'carer[99999][x]'),
  text
)
const fieldValue = fc.oneof(text, fc.constantFrom(...YAML_BODIES, 'check', 'preview', 'save', 'download', 'charitylog', 'lamplight', 'add:carer', 'remove:carer:0', 'fields', 'people-0', 'add-option', 'remove-option:0', 'up-option:1', 'radios', 'crm'))
const body = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 })
const query = fc.option(fc.array(fc.tuple(fc.constantFrom('state', 'form', 'page', 'return', 'draft', 'embed', 'signed-out', 'list', 'index', 'type', '__proto__'), text), { maxLength: 3 }))

const STACK = /\n\s+at [^\n]+:\d+:\d+/

let t: AdminTestApp
let staff: Staff
let formsBefore: Record<string, string>
let filesBefore: Record<string, string>
const files = () => Object.fromEntries(readdirSync(t.formsDir).sort().map((f) => [f, readFileSync(path.join(t.formsDir, f), 'utf8')]))
const liveForms = () => Object.fromEntries(t.app.services.forms.list().map((f) => [f.definition.id, f.hash]))

beforeAll(async () => {
  t = await buildAdminApp()
  await addAccount(t.app, 'admin@example.org', 'admin')
  staff = await signedInAs(t.app, 'admin@example.org')
  formsBefore = liveForms()
  filesBefore = files()
})
afterAll(() => t?.close())

describe('hostile input to every route', () => {
  it('lists routes that all exist', () => {
    for (const r of ROUTES) {
      const [method, url] = r.split(' ') as ['GET' | 'POST', string]
      expect(t.app.hasRoute({ method, url: url.replace('/public/:file', '/public/*') }), r).toBe(true)
    }
  })

  it('never answers 5xx nor shows a stack trace, changes no live form, and leaves the server healthy', async () => {
    const seen = new Map<number, number>()
    let requests = 0
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...ROUTES), fc.array(segment, { minLength: 3, maxLength: 3 }), body, query,
      fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 250 }),
      async (route, params, pairs, q, asStaff, withCsrf, host) => {
        const [method, template] = route.split(' ') as ['GET' | 'POST', string]
        let i = 0
        const url = template.replace(/:[a-z]+/g, () => params[i++]!) + (q ? `?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}` : '')
        const form = new URLSearchParams(pairs)
        // (Never a sign-out that works: it would end the session the other requests use.)
        if (asStaff && withCsrf && staff.csrf && route !== 'POST /admin/sign-out') form.append('_csrf', staff.csrf)
        const res = await t.app.inject({
          method,
          url,
          remoteAddress: `10.20.${host}.1`,
          headers: { ...(method === 'POST' ? FORM_HEADERS : {}), ...(asStaff && staff.cookie ? { cookie: `rf_admin=${staff.cookie}` } : {}) },
          ...(method === 'POST' && { payload: form.toString() }),
        })
        requests++
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1)
        if (res.statusCode >= 500 || STACK.test(res.body)) {
          throw new Error(`${method} ${url.slice(0, 200)} (${asStaff ? 'staff' : 'anonymous'}) → ${res.statusCode}: ${res.body.slice(0, 300)}`)
        }
      }
    ), { numRuns: 6000, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false, seed: 20261202 })
    console.log(`hostile input: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries([...seen].sort(([a], [b]) => a - b)))}`)
    expect(requests).toBeGreaterThan(300)
    expect(liveForms()).toEqual(formsBefore)
    expect(files()).toEqual(filesBefore)
    expect((await t.app.services.storage.accounts.list()).map((a) => [a.email, a.role, a.disabled_at])).toEqual([['admin@example.org', 'admin', null]])
    expect((await t.app.inject('/healthz')).json()).toMatchObject({ status: 'ok', forms: 2 })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  }, 60_000)

  it('answers the cases first reported as 404 pages or problems of the text', async () => {
    for (const url of ['/admin/forms/__proto__/preview', '/admin/forms/constructor/edit', '/admin/forms/constructor/preview',
      '/admin/forms/hasOwnProperty/preview', '/admin/forms/%0d%0aX:y/preview', '/admin/forms/%E2%80%A8/preview']) {
      const res = await staff.get(url)
      expect(res.statusCode, url).toBe(url.endsWith('constructor/preview') ? 303 : 404)
    }
    for (const intent of ['check', 'preview', 'save']) {
      const sent = await staff.post('/admin/forms/carers-referral/edit', { yaml: ALIAS_BOMB, base: '', intent })
      // Check and Preview answer with a redirect to the editor's GET page of the draft; Save at once.
      const res = intent === 'save' ? sent : await staff.get(sent.headers.location as string)
      expect(res.statusCode, intent).toBe(422)
      expect(res.body).toContain('too many aliases: the document expands too much')
    }
    expect(liveForms()).toEqual(formsBefore)
  })
})
