/**
 * Connections: which credentials are set (names only, never values), "Test connection" against the
 * fake CRMs showing what came back, warnings for form mappings the CRM does not know, and the audit
 * log of staff actions.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readItems } from '../../src/admin/connections.js'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog } from '../fakes/fake-charitylog.js'
import { FAKE_LAMPLIGHT_KEYS, startFakeLamplight } from '../fakes/fake-lamplight.js'
import type { FakeServer } from '../fakes/fake-server.js'
import { charitylogEnv, FAST_RELAY, lamplightEnv } from '../helpers/relay.js'
import { buildAdminApp, signedIn, Staff, type AdminTestApp, type AdminTestOptions } from './helpers.js'
import { sqliteOf } from '../helpers/sqlite.js'

const apps: AdminTestApp[] = []
const fakes: FakeServer[] = []
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  for (const f of fakes.splice(0)) await f.close()
})
async function setUp (opts: AdminTestOptions = {}): Promise<{ t: AdminTestApp, staff: Staff }> {
  const t = await buildAdminApp({ relay: FAST_RELAY, ...opts })
  apps.push(t)
  return { t, staff: await signedIn(t.app) }
}
const SECRETS = [...Object.values(FAKE_CHARITYLOG_KEYS), ...Object.values(FAKE_LAMPLIGHT_KEYS).filter((v) => v.length > 6)]

describe('the connections page', () => {
  it('names the missing credentials, never shows a value, and offers no test without them', async () => {
    const fake = { url: 'http://127.0.0.1:9' }
    const { staff } = await setUp({ env: { ...lamplightEnv(fake), CHARITYLOG_SOURCE_KEY: FAKE_CHARITYLOG_KEYS.sourceKey } })
    const res = await staff.get('/admin/connections')
    expect(res.body).toContain('Set CHARITYLOG_ORG_KEY, CHARITYLOG_USER_KEY and restart the server.')
    expect(res.body).not.toContain('action="/admin/connections/charitylog/test"')
    expect(res.body).toContain('action="/admin/connections/lamplight/test"')
    for (const secret of SECRETS) expect(res.body).not.toContain(secret)
  })

  it('tests Charitylog and lists its client types with their IDs', async () => {
    const fake = await startFakeCharitylog()
    fakes.push(fake)
    const { t, staff } = await setUp({ env: charitylogEnv(fake) })
    await staff.get('/admin/connections')
    const res = await staff.post('/admin/connections/charitylog/test')
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Charitylog answered')
    expect(res.body).toContain('<li>Service user: ID <strong>7</strong></li>')
    expect(res.body).toContain('<li>Professional: ID <strong>12</strong></li>')
    expect(res.body).not.toContain('Check these forms')
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /dictionary/client_type'])
    for (const secret of SECRETS) expect(res.body).not.toContain(secret)
    expect(sqliteOf(t.app).prepare("SELECT subject, detail FROM audit_log WHERE action = 'connection tested'").all())
      .toEqual([{ subject: 'charitylog', detail: 'answered' }])
  })

  it('tests Lamplight, shows the workarea tree with IDs, and warns about a form sending to a workarea it does not list', async () => {
    const fake = await startFakeLamplight()
    fakes.push(fake)
    const { t, staff } = await setUp({ env: lamplightEnv(fake) })
    const file = path.join(t.formsDir, 'professional-referral.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('workareaid: 22', 'workareaid: 404'))
    await t.app.services.forms.reload()
    await staff.get('/admin/connections')
    const res = await staff.post('/admin/connections/lamplight/test')
    expect(res.body).toMatch(/<li>Carers support: ID <strong>1<\/strong><ul class="tree">\s*<li>Young carers: ID <strong>22<\/strong><\/li>/)
    expect(res.body).toContain('The form &quot;professional-referral&quot; sends referrals to workarea 404, which Lamplight does not list.')
    for (const secret of SECRETS) expect(res.body).not.toContain(secret)
  })

  it('keeps the first CRM\'s result on the page while the second is tested', async () => {
    const cl = await startFakeCharitylog()
    const ll = await startFakeLamplight()
    fakes.push(cl, ll)
    const { staff } = await setUp({ env: { ...charitylogEnv(cl), ...lamplightEnv(ll) } })
    await staff.get('/admin/connections')
    await staff.post('/admin/connections/charitylog/test')
    const both = await staff.post('/admin/connections/lamplight/test')
    expect(both.body).toContain('<li>Service user: ID <strong>7</strong></li>')
    expect(both.body).toContain('Carers support: ID <strong>1</strong>')
    expect((await staff.get('/admin/connections')).body).toContain('<li>Service user: ID <strong>7</strong></li>')
  })

  it('says what went wrong when the CRM refuses the credentials, without showing them', async () => {
    const fake = await startFakeCharitylog({ ...FAKE_CHARITYLOG_KEYS, orgKey: 'another-key-altogether' })
    fakes.push(fake)
    const { t, staff } = await setUp({ env: charitylogEnv(fake) })
    await staff.get('/admin/connections')
    const res = await staff.post('/admin/connections/charitylog/test')
    expect(res.body).toContain('The test failed')
    expect(res.body).toContain('401')
    for (const secret of SECRETS) expect(res.body).not.toContain(secret)
    expect(t.logs.join('')).not.toContain(FAKE_CHARITYLOG_KEYS.orgKey)
  })

  it('answers 404 for a destination it does not know', async () => {
    const { staff } = await setUp()
    await staff.get('/admin/connections')
    expect((await staff.post('/admin/connections/salesforce/test')).statusCode).toBe(404)
  })
})

describe('reading what a CRM lists', () => {
  it('reads bare lists, lists in data, nested children and id-to-name maps, and nothing else', () => {
    expect(readItems([{ id: 7, name: 'Service user' }])).toEqual([{ id: '7', name: 'Service user', children: [] }])
    expect(readItems({ data: [{ ID: '3', description: 'Carer' }] })).toEqual([{ id: '3', name: 'Carer', children: [] }])
    expect(readItems([{ id: 1, text: 'A', children: [{ id: 2, text: 'B' }] }])).toEqual([{ id: '1', name: 'A', children: [{ id: '2', name: 'B', children: [] }] }])
    expect(readItems({ 7: 'Service user' })).toEqual([{ id: '7', name: 'Service user', children: [] }])
    expect(readItems('unexpected')).toBeUndefined()
    expect(readItems([{ name: 'no id' }])).toBeUndefined()
  })
})

describe('the audit log page', () => {
  it('lists who did what and when, newest first, with sign-ins and failed ones', async () => {
    const { t, staff } = await setUp()
    await new Staff(t.app).signIn('wrong')
    const res = await staff.get('/admin/audit')
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<caption>2 entries, newest first</caption>')
    const rows = [...res.body.matchAll(/<tr><td><time[^>]*>([^<]*)<\/time><\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => [m[1], m[2], m[3]])
    expect(rows).toEqual([
      ['15 Jun 2026, 13:00', 'staff', 'sign-in failed'],
      ['15 Jun 2026, 13:00', expect.stringMatching(/^staff \(session [0-9a-f]{8}\)$/), 'sign-in'],
    ])
  })
})
