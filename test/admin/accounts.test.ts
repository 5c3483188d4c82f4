/**
 * Named staff accounts (issue 11): from the shared password to accounts, signing in by email, the
 * invitation and reset links, leavers, role changes, the audit log by name, and its CSV export.
 * Roles against every route: roles.test.ts. Two-factor sign-in: two-factor.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { errorSummary } from '../helpers/html-fragments.js'
import { sqliteOf } from '../helpers/sqlite.js'
import { ACCOUNT_PASSWORD, addAccount, PASSWORD, signedIn, signedInAs, Staff, type AdminTestApp, useAdminApps } from './helpers.js'

const build = useAdminApps()
const linkIn = (html: string) => /<code class="link-to-copy">(http[^<]+)<\/code>/.exec(html)?.[1]?.replace(/&amp;/g, '&')
const pathOf = (url: string) => { const u = new URL(url); return u.pathname + u.search }
const audit = (t: AdminTestApp) => sqliteOf(t.app).prepare('SELECT actor, action, subject, detail FROM audit_log ORDER BY id').all() as Array<Record<string, string | null>>

describe('from the shared password to named accounts', () => {
  it('keeps the shared password working until the first account exists, then ends it, sessions included', async () => {
    const t = await build()
    const shared = await signedIn(t.app)
    expect((await shared.get('/admin/forms')).statusCode).toBe(200)
    await addAccount(t.app, 'jane@example.org', 'admin')
    expect((await shared.get('/admin/forms')).statusCode).toBe(303)
    const page = await new Staff(t.app).get('/admin/sign-in')
    expect(page.body).toContain('<label class="label" for="email">Email address</label>')
    const refused = await new Staff(t.app).signInAs('staff', PASSWORD)
    expect(refused.statusCode).toBe(422)
  })

  it('opens with no password at all once an account exists', async () => {
    const t = await build({ password: null })
    expect((await t.app.inject('/admin/sign-in')).statusCode).toBe(503)
    await addAccount(t.app, 'jane@example.org', 'admin')
    expect((await t.app.inject('/admin/sign-in')).statusCode).toBe(200)
  })
})

describe('signing in with an account', () => {
  it('signs in by email (any case) and password, names the account in the header and the audit log', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'jane@example.org', 'caseworker', ACCOUNT_PASSWORD, 'Jane Smith')
    const staff = new Staff(t.app)
    const res = await staff.signInAs('Jane@Example.ORG')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/deliveries')
    const page = await staff.get('/admin/deliveries')
    expect(page.body).toContain('Jane Smith (Caseworker)')
    expect(audit(t).at(-1)).toMatchObject({ actor: 'Jane Smith <jane@example.org>', action: 'sign-in' })
  })

  it('gives the same answer for a wrong password and an unknown email, and says neither exists', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'jane@example.org', 'admin')
    const wrong = await new Staff(t.app).signInAs('jane@example.org', 'not the password at all')
    const unknown = await new Staff(t.app).signInAs('nobody@example.org', 'not the password at all')
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(422)
      expect(errorSummary(res.body)).toEqual([['#password', 'The email address or the password is not right']])
    }
    expect(audit(t).map((e) => [e.action, e.detail])).toEqual([['sign-in failed', 'wrong password'], ['sign-in failed', 'no such account']])
  })

  it('lets no disabled account in, and ends its live session at its next request', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const leaver = await addAccount(t.app, 'leaver@example.org', 'caseworker')
    const admin = await signedInAs(t.app, 'admin@example.org')
    const session = await signedInAs(t.app, 'leaver@example.org')
    expect((await session.get('/admin/deliveries')).statusCode).toBe(200)
    await admin.get(`/admin/accounts/${leaver.id}`)
    expect((await admin.post(`/admin/accounts/${leaver.id}`, { action: 'disable' })).statusCode).toBe(303)
    expect((await session.get('/admin/deliveries')).statusCode).toBe(303)
    expect((await new Staff(t.app).signInAs('leaver@example.org')).statusCode).toBe(422)
    expect(audit(t).some((e) => e.action === 'account disabled' && e.subject === 'leaver@example.org' && e.actor!.startsWith('admin <'))).toBe(true)
    expect(audit(t)).toContainEqual({ actor: 'leaver <leaver@example.org>', action: 'session ended', subject: null, detail: 'the account is disabled' })
  })

  it('applies a role change at the next request', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const ed = await addAccount(t.app, 'ed@example.org', 'editor')
    const admin = await signedInAs(t.app, 'admin@example.org')
    const editor = await signedInAs(t.app, 'ed@example.org')
    expect((await editor.get('/admin/deliveries')).statusCode).toBe(403)
    await admin.get(`/admin/accounts/${ed.id}`)
    await admin.post(`/admin/accounts/${ed.id}`, { action: 'role', role: 'caseworker' })
    expect((await editor.get('/admin/deliveries')).statusCode).toBe(200)
    expect((await editor.get('/admin/forms')).statusCode).toBe(403)
  })

  it('never leaves the staff pages without an active admin, nor lets an admin disable themselves', async () => {
    const t = await build({ password: null })
    const me = await addAccount(t.app, 'admin@example.org', 'admin')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get(`/admin/accounts/${me.id}`)
    await admin.post(`/admin/accounts/${me.id}`, { action: 'disable' })
    await admin.post(`/admin/accounts/${me.id}`, { action: 'role', role: 'editor' })
    expect(await t.app.services.storage.accounts.findById(me.id)).toMatchObject({ role: 'admin', disabled_at: null })
  })
})

describe('invitations and reset links', () => {
  it('invites by email and role; the link sets a password (NCSC rules), signs in once, and never works again', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get('/admin/accounts')
    const invited = await admin.post('/admin/accounts', { email: 'New.Person@Example.org', name: 'New Person', role: 'editor' })
    expect(invited.statusCode).toBe(200)
    expect(invited.body).toContain('Email alerts are not set up yet, so send them this link yourself')
    const link = linkIn(invited.body)!
    expect(link).toMatch(/^http:\/\/localhost:3000\/admin\/welcome\?token=[\w-]{43}$/)
    expect(await t.app.services.storage.accounts.findByEmail('new.person@example.org')).toMatchObject({ role: 'editor', activated_at: null })

    const visitor = new Staff(t.app)
    const page = await visitor.get(pathOf(link))
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Welcome, New Person.')
    const token = new URL(link).searchParams.get('token')!
    for (const [password, message] of [['short', 'Enter a password of at least 12 characters'], ['123qweasdzxc', 'one of the most common ones'],
      ['qwerty123456!!', 'one of the most common ones'], ['new.person2026!', 'contains your name or email address']] as const) {
      const res = await visitor.post('/admin/welcome', { token, password }, false)
      expect(res.statusCode, password).toBe(422)
      expect(res.body).toContain(message)
    }
    const done = await visitor.post('/admin/welcome', { token, password: 'plum jam on a wet tuesday' }, false)
    expect(done.statusCode).toBe(303)
    expect((await visitor.get('/admin')).headers.location).toBe('/admin/forms')
    expect((await visitor.get('/admin/forms')).body).toContain('Welcome, New Person. Your account is ready.')
    expect((await new Staff(t.app).get(pathOf(link))).statusCode).toBe(410)
    expect((await new Staff(t.app).post('/admin/welcome', { token, password: 'another long password' }, false)).statusCode).toBe(410)
    expect(audit(t).filter((e) => e.detail === 'invitation link used, expired or unknown')).toHaveLength(2)
    expect((await signedInAs(t.app, 'new.person@example.org', 'plum jam on a wet tuesday'))).toBeDefined()
    expect(audit(t).map((e) => e.action)).toEqual(expect.arrayContaining(['account invited', 'password set']))
  })

  it('refuses an invitation after 7 days, and replaces an old link with a new one', async () => {
    let at = Date.parse('2026-06-15T12:00:00Z')
    const t = await build({ password: null, clock: () => new Date(at) })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get('/admin/accounts')
    const first = linkIn((await admin.post('/admin/accounts', { email: 'a@example.org', name: 'A', role: 'caseworker' })).body)!
    const account = (await t.app.services.storage.accounts.findByEmail('a@example.org'))!
    await admin.get(`/admin/accounts/${account.id}`)
    const second = linkIn((await admin.post(`/admin/accounts/${account.id}`, { action: 'reset' })).body)!
    expect(second).toMatch(/\/admin\/welcome\?token=/)
    expect((await new Staff(t.app).get(pathOf(first))).statusCode).toBe(410)
    expect((await new Staff(t.app).get(pathOf(second))).statusCode).toBe(200)
    at += 7 * 24 * 3600_000 + 1000
    expect((await new Staff(t.app).get(pathOf(second))).statusCode).toBe(410)
  })

  it('lets an admin issue a reset link for an active account, which sets a new password', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const user = await addAccount(t.app, 'forgot@example.org', 'caseworker')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get(`/admin/accounts/${user.id}`)
    const link = linkIn((await admin.post(`/admin/accounts/${user.id}`, { action: 'reset' })).body)!
    expect(link).toMatch(/\/admin\/reset\?token=/)
    const visitor = new Staff(t.app)
    await visitor.get(pathOf(link))
    expect((await visitor.post('/admin/reset', { token: new URL(link).searchParams.get('token')!, password: 'a brand new long password' }, false)).statusCode).toBe(303)
    expect((await new Staff(t.app).signInAs('forgot@example.org')).statusCode).toBe(422)
    await signedInAs(t.app, 'forgot@example.org', 'a brand new long password')
  })

  it('keeps invitation tokens out of the log', async () => {
    const t = await build({ password: null, env: { LOG_LEVEL: 'debug' } })
    await addAccount(t.app, 'admin@example.org', 'admin')
    const admin = await signedInAs(t.app, 'admin@example.org')
    await admin.get('/admin/accounts')
    const link = linkIn((await admin.post('/admin/accounts', { email: 'b@example.org', name: 'B', role: 'caseworker' })).body)!
    await new Staff(t.app).get(pathOf(link))
    expect(t.logs.join('')).not.toContain(new URL(link).searchParams.get('token')!)
  })
})

describe('the audit log by name', () => {
  it('records who looked at whose answers, filters by person and exports CSV', async () => {
    const t = await build({ password: null })
    await addAccount(t.app, 'admin@example.org', 'admin', ACCOUNT_PASSWORD, 'Ada Admin')
    await addAccount(t.app, 'case@example.org', 'caseworker', ACCOUNT_PASSWORD, 'Cas Worker')
    const { reference } = await t.app.services.storage.submissions.insertOnce({
      formId: 'carers-referral',
      formHash: 'x',
      destination: 'charitylog',
      payload: { destination: 'charitylog', people: [{ first_name: 'Ann' }] },
      answers: [{ heading: 'About you', items: [{ label: 'First name', answer: 'Ann' }] }],
    }, Date.now(), {})
    const caseworker = await signedInAs(t.app, 'case@example.org')
    expect((await caseworker.get(`/admin/deliveries/${reference}`)).body).toContain('<td>Ann</td>')
    const admin = await signedInAs(t.app, 'admin@example.org')
    const filtered = await admin.get(`/admin/audit?who=${encodeURIComponent('Cas Worker <case@example.org>')}`)
    expect(filtered.body).toContain(`<td>answers viewed</td><td>${reference}</td>`)
    expect(filtered.body).not.toContain('Ada Admin &lt;admin@example.org&gt;</td><td>sign-in')
    const exported = await admin.get('/admin/audit.csv')
    expect(exported.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(exported.headers['content-disposition']).toBe('attachment; filename="audit-log.csv"')
    const lines = exported.body.trim().split('\r\n')
    expect(lines[0]).toBe('"when (UTC)","who","what","on","details"')
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^"[^"]+","Cas Worker <case@example.org>","answers viewed","${reference}",""$`)))
    expect((await caseworker.get('/admin/audit.csv')).statusCode).toBe(403)
  })
})
