/**
 * Least privilege (issue 11): every staff route against every role, as a table. A role may use a
 * route or it gets 403 with no data; the pages show only what the role may use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/storage/index.js'
import { addAccount, buildAdminApp, signedInAs, type AdminTestApp, type Staff } from './helpers.js'

type Area = 'deliveries' | 'forms' | 'connections' | 'audit' | 'accounts' | 'alerts' | 'site' | 'self'
/** Who may use each area, as the issue defines the roles (not read from the code under test). */
const ALLOWED: Record<Area, Role[]> = {
  deliveries: ['admin', 'caseworker'],
  forms: ['admin', 'editor'],
  connections: ['admin', 'editor'],
  audit: ['admin'],
  accounts: ['admin'],
  // Email alerts' settings and what was sent: the admin's (issue 13). Each person chooses their own on their account page.
  alerts: ['admin'],
  // Who is asking, site-wide (issue 14): the admin's.
  site: ['admin'],
  self: ['admin', 'editor', 'caseworker'],
}

let t: AdminTestApp
let reference: string
let otherId: number
const staff: Partial<Record<Role, Staff>> = {}

beforeAll(async () => {
  t = await buildAdminApp({ password: null })
  for (const role of ['admin', 'editor', 'caseworker'] as const) await addAccount(t.app, `${role}@example.org`, role)
  otherId = (await addAccount(t.app, 'other@example.org', 'caseworker')).id
  reference = (await t.app.services.storage.submissions.insertOnce({
    formId: 'carers-referral',
    formHash: 'x',
    destination: 'charitylog',
    payload: { destination: 'charitylog', people: [{ first_name: 'Secretname' }] },
    answers: [{ heading: 'About you', items: [{ label: 'First name', answer: 'Secretname' }] }],
  }, Date.now(), { quarantineReason: 'test' })).reference
  for (const role of ['admin', 'editor', 'caseworker'] as const) staff[role] = await signedInAs(t.app, `${role}@example.org`)
})
afterAll(() => t?.close())

const routes = (): Array<[string, string, Area, Record<string, string>?]> => [
  ['GET', '/admin/deliveries', 'deliveries'],
  ['GET', `/admin/deliveries/${reference}`, 'deliveries'],
  ['POST', `/admin/deliveries/${reference}/retry`, 'deliveries'],
  ['POST', `/admin/deliveries/${reference}/handled`, 'deliveries'],
  ['POST', `/admin/deliveries/${reference}/release`, 'deliveries'],
  ['GET', `/admin/deliveries/${reference}/delete`, 'deliveries'],
  ['POST', '/admin/deliveries/ABCDEFGH/delete', 'deliveries'],
  ['GET', '/admin/forms', 'forms'],
  ['GET', '/admin/forms/new', 'forms'],
  ['POST', '/admin/forms/new', 'forms', { id: '', template: '' }],
  ['GET', '/admin/forms/carers-referral/edit', 'forms'],
  ['POST', '/admin/forms/carers-referral/edit', 'forms', { yaml: 'id: x', base: '', intent: 'check' }],
  ['GET', '/admin/forms/carers-referral/preview', 'forms'],
  ['POST', '/admin/forms/carers-referral/preview', 'forms'],
  ['GET', '/admin/forms/carers-referral/history', 'forms'],
  ['GET', '/admin/forms/carers-referral/history/1', 'forms'],
  ['POST', '/admin/forms/carers-referral/history/1/restore', 'forms'],
  ['GET', '/admin/forms/carers-referral/build', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/move', 'forms', { seen: 'x', list: 'fields', index: '0', dir: 'down' }],
  ['GET', '/admin/forms/carers-referral/build/question?list=fields&index=0', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/question', 'forms', { seen: 'x', list: 'fields', index: '0', label: '' }],
  ['GET', '/admin/forms/carers-referral/build/delete?list=fields&index=0', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/delete', 'forms', { seen: 'x', list: 'fields', index: '0' }],
  ['POST', '/admin/forms/carers-referral/build/publish', 'forms', { seen: 'x' }],
  ['POST', '/admin/forms/carers-referral/build/discard', 'forms', { seen: 'x' }],
  ['GET', '/admin/forms/carers-referral/build/preview', 'forms'],
  ['GET', '/admin/forms/carers-referral/build/add?list=fields', 'forms'],
  ['GET', '/admin/forms/carers-referral/build/group?index=0', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/group', 'forms', { seen: 'x', index: '0', heading: '' }],
  ['POST', '/admin/forms/carers-referral/build/group/move', 'forms', { seen: 'x', index: '0', dir: 'down' }],
  ['GET', '/admin/forms/carers-referral/build/group/delete?index=0', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/group/delete', 'forms', { seen: 'x', index: '0' }],
  ['GET', '/admin/forms/carers-referral/build/settings', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/settings', 'forms', { seen: 'x', title: '' }],
  ['GET', '/admin/forms/carers-referral/build/destination', 'forms'],
  ['POST', '/admin/forms/carers-referral/build/destination', 'forms', { seen: 'x' }],
  ['GET', '/admin/connections', 'connections'],
  ['POST', '/admin/connections/charitylog/test', 'connections'],
  ['GET', '/admin/audit', 'audit'],
  ['GET', '/admin/audit.csv', 'audit'],
  ['GET', '/admin/accounts', 'accounts'],
  ['POST', '/admin/accounts', 'accounts', { email: '', name: '', role: '' }],
  ['POST', '/admin/accounts/two-factor', 'accounts', { require: 'no' }],
  ['GET', `/admin/accounts/${otherId}`, 'accounts'],
  ['POST', `/admin/accounts/${otherId}`, 'accounts', { action: 'none' }],
  ['GET', '/admin/alerts', 'alerts'],
  ['GET', '/admin/site', 'site'],
  ['POST', '/admin/site', 'site', { name: '<' }],
  ['POST', '/admin/site/logo', 'site', { remove: 'no' }],
  ['POST', '/admin/alerts/test', 'alerts', { to: 'x@example.org' }],
  ['POST', '/admin/account/alerts', 'self', { topics: 'digest' }],
  ['GET', '/admin', 'self'],
  ['GET', '/admin/account', 'self'],
  ['POST', '/admin/account/password', 'self', { current: 'wrong', password: '' }],
  ['GET', '/admin/account/two-factor', 'self'],
  ['POST', '/admin/account/two-factor', 'self', { code: '000000' }],
]

describe('each role against every staff route', () => {
  for (const role of ['admin', 'editor', 'caseworker'] as const) {
    it(`${role}: uses exactly the routes of its role, and gets 403 with no data on the others`, async () => {
      const s = staff[role]!
      const table: string[] = []
      for (const [method, url, area, fields] of routes()) {
        const res = method === 'GET' ? await s.get(url) : await s.post(url, fields ?? {})
        const allowed = ALLOWED[area].includes(role)
        table.push(`${method} ${url} ${allowed ? 'allowed' : 'refused'}`)
        if (allowed) {
          expect(res.statusCode, `${role} ${method} ${url}`).not.toBe(403)
          expect(res.statusCode, `${role} ${method} ${url}`).toBeLessThan(500)
        } else {
          expect(res.statusCode, `${role} ${method} ${url}`).toBe(403)
          expect(res.body).toContain('You cannot use this page')
          expect(res.body).not.toContain('Secretname')
          expect(res.body).not.toContain(reference)
        }
      }
      expect(table).toHaveLength(routes().length)
      const refused = table.filter((r) => r.endsWith('refused')).length
      const audited = (await t.app.services.storage.audit.list(0, 1000, `${role} <${role}@example.org>`)).filter((e) => e.action === 'access refused')
      expect(audited.length).toBe(refused)
    })
  }

  it('shows each role only the links of its role', async () => {
    const nav = async (role: Role) => [...(await staff[role]!.get('/admin/account')).body.matchAll(/<li><a href="(\/admin\/[a-z]+)"/g)].map((m) => m[1])
    expect(await nav('admin')).toEqual(['/admin/deliveries', '/admin/forms', '/admin/connections', '/admin/accounts', '/admin/alerts', '/admin/site', '/admin/audit'])
    expect(await nav('editor')).toEqual(['/admin/forms', '/admin/connections'])
    expect(await nav('caseworker')).toEqual(['/admin/deliveries'])
  })
})
