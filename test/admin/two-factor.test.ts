/**
 * Two-factor sign-in (issue 11): set up with an authenticator app (the QR code drawn on our server),
 * a code at each sign-in, each code once, ten recovery codes each once, an admin requiring it for
 * every password account, and an admin turning it off for a lost phone.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { totpCode } from '../../src/admin/two-factor.js'
import { sqliteOf } from '../helpers/sqlite.js'
import { addAccount, buildAdminApp, signedInAs, Staff, type AdminTestApp, type AdminTestOptions } from './helpers.js'

const apps: AdminTestApp[] = []
afterEach(async () => { for (const a of apps.splice(0)) await a.close() })
let at = Date.parse('2026-06-15T12:00:00Z')
async function build (opts: AdminTestOptions = {}): Promise<AdminTestApp> {
  at = Date.parse('2026-06-15T12:00:00Z')
  const t = await buildAdminApp({ password: null, clock: () => new Date(at), ...opts })
  apps.push(t)
  return t
}

/** Sets up two-factor sign-in on the staff member's own account; returns the secret and recovery codes. */
async function setUp (s: Staff) {
  const page = await s.get('/admin/account/two-factor')
  expect(page.statusCode).toBe(200)
  expect(page.body).toMatch(/<div class="qr" role="img" aria-label="QR code for your authenticator app"><svg /)
  const secret = /<code class="link-to-copy">([A-Z2-7 ]+)<\/code>/.exec(page.body)![1]!.replace(/ /g, '')
  const wrong = await s.post('/admin/account/two-factor', { code: '000000' })
  expect(wrong.statusCode).toBe(422)
  const done = await s.post('/admin/account/two-factor', { code: totpCode(secret, at) })
  expect(done.statusCode).toBe(200)
  const codes = [...done.body.matchAll(/<li><code>([a-z0-9-]{14})<\/code><\/li>/g)].map((m) => m[1]!)
  expect(codes).toHaveLength(10)
  return { secret, codes }
}

async function passwordStep (t: AdminTestApp, email: string) {
  const s = new Staff(t.app)
  const res = await s.signInAs(email)
  expect(res.statusCode).toBe(303)
  expect(res.headers.location).toBe('/admin/sign-in/code')
  await s.get('/admin/sign-in/code')
  return s
}

describe('two-factor sign-in', () => {
  it('asks for the app\'s code after the password, takes each code once, and recovery codes once each', async () => {
    const t = await build()
    await addAccount(t.app, 'jane@example.org', 'caseworker')
    const { secret, codes } = await setUp(await signedInAs(t.app, 'jane@example.org'))
    const secretAtRest = sqliteOf(t.app).prepare('SELECT totp_secret FROM accounts').pluck().get() as Buffer
    expect(secretAtRest.includes(secret)).toBe(false)

    at += 60_000
    const s = await passwordStep(t, 'jane@example.org')
    expect((await s.get('/admin/deliveries')).statusCode).toBe(303) // not signed in yet
    expect((await s.post('/admin/sign-in/code', { code: '123456' })).statusCode).toBe(422)
    const ok = await s.post('/admin/sign-in/code', { code: totpCode(secret, at) })
    expect(ok.statusCode).toBe(303)
    expect((await s.get('/admin/deliveries')).statusCode).toBe(200)

    const replay = await passwordStep(t, 'jane@example.org')
    const again = await replay.post('/admin/sign-in/code', { code: totpCode(secret, at) })
    expect(again.statusCode).toBe(422)
    expect(again.body).toContain('That code has been used already')

    const recovered = await replay.post('/admin/sign-in/code', { code: codes[3]!.toUpperCase() })
    expect(recovered.statusCode).toBe(303)
    const reuse = await passwordStep(t, 'jane@example.org')
    expect((await reuse.post('/admin/sign-in/code', { code: codes[3]! })).statusCode).toBe(422)
    const actions = sqliteOf(t.app).prepare('SELECT action, detail FROM audit_log ORDER BY id').all() as Array<{ action: string, detail: string | null }>
    expect(actions).toEqual(expect.arrayContaining([
      { action: 'two-factor on', detail: null }, { action: 'sign-in failed', detail: 'wrong code' },
      { action: 'sign-in failed', detail: 'a code already used' }, { action: 'recovery code used', detail: '9 left' },
    ]))
  })

  it('does not wait for ever: the code step lapses ten minutes after the password', async () => {
    const t = await build()
    await addAccount(t.app, 'jane@example.org', 'caseworker')
    const { secret } = await setUp(await signedInAs(t.app, 'jane@example.org'))
    const s = await passwordStep(t, 'jane@example.org')
    at += 11 * 60_000
    expect((await s.post('/admin/sign-in/code', { code: totpCode(secret, at) })).headers.location).toBe('/admin/sign-in')
  })

  it('when an admin requires it, makes every password account set it up before it sees anything else', async () => {
    const t = await build()
    await addAccount(t.app, 'admin@example.org', 'admin')
    await addAccount(t.app, 'case@example.org', 'caseworker')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get('/admin/accounts')
    await admin.post('/admin/accounts/two-factor', { require: 'yes' })
    const s = new Staff(t.app)
    await s.signInAs('case@example.org')
    expect((await s.get('/admin/deliveries')).headers.location).toBe('/admin/account/two-factor')
    await setUp(s)
    expect((await s.get('/admin/deliveries')).statusCode).toBe(200)
    expect((await s.post('/admin/account/two-factor/off')).statusCode).toBe(303)
    expect((await t.app.services.storage.accounts.findByEmail('case@example.org'))?.totp_enabled_at).not.toBeNull()
  })

  it('lets an admin turn it off for someone who lost their phone; a reset link still asks for the code', async () => {
    const t = await build()
    await addAccount(t.app, 'admin@example.org', 'admin')
    const user = await addAccount(t.app, 'case@example.org', 'caseworker')
    const { secret } = await setUp(await signedInAs(t.app, 'case@example.org'))
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get(`/admin/accounts/${user.id}`)
    const link = /<code class="link-to-copy">(http[^<]+)<\/code>/.exec((await admin.post(`/admin/accounts/${user.id}`, { action: 'reset' })).body)![1]!
    const visitor = new Staff(t.app)
    const token = new URL(link.replace(/&amp;/g, '&')).searchParams.get('token')!
    const reset = await visitor.post('/admin/reset', { token, password: 'a new and long password' }, false)
    expect(reset.headers.location).toBe('/admin/sign-in/code')
    await visitor.get('/admin/sign-in/code')
    at += 30_000
    expect((await visitor.post('/admin/sign-in/code', { code: totpCode(secret, at) })).statusCode).toBe(303)
    await admin.get(`/admin/accounts/${user.id}`)
    await admin.post(`/admin/accounts/${user.id}`, { action: 'two-factor-off' })
    const s = new Staff(t.app)
    expect((await s.signInAs('case@example.org', 'a new and long password')).headers.location).toBe('/admin/deliveries')
  })
})
