/**
 * Single sign-on (issue 11) against a real OpenID Connect provider run by the test (oidc-provider):
 * the code flow with PKCE, state and nonce; matching an invited account by verified email; a new
 * Caseworker for an allowed domain; and each refusal (no account, unverified email, a tampered or
 * stale answer, a disabled account) as a clear page, changing nothing, in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteOf } from '../helpers/sqlite.js'
import { signInThrough, startProvider, type TestProvider } from '../helpers/oidc.js'
import { addAccount, buildAdminApp, Staff, type AdminTestApp } from './helpers.js'
import { freePort } from '../helpers/net.js'

const PEOPLE = {
  jane: { email: 'Jane@Example.org', name: 'Jane Smith' },
  newbie: { email: 'newbie@carers.example', name: 'New Bie' },
  stranger: { email: 'stranger@elsewhere.example', name: 'A Stranger' },
  unverified: { email: 'jane@example.org', email_verified: false, name: 'Not Jane' },
  leaver: { email: 'leaver@example.org', name: 'Lee Ver' },
}

let provider: TestProvider
let t: AdminTestApp
let base: string

beforeAll(async () => {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  provider = await startProvider(`${base}/admin/sso/callback`, PEOPLE)
  t = await buildAdminApp({
    password: null,
    clock: () => new Date(),
    env: {
      PUBLIC_URL: base,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_LABEL: 'Test Login',
      OIDC_ALLOWED_DOMAINS: 'carers.example',
    },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
  await addAccount(t.app, 'jane@example.org', 'editor', undefined, 'Jane Smith')
  const leaver = await addAccount(t.app, 'leaver@example.org', 'caseworker')
  await t.app.services.storage.accounts.setDisabled(leaver.id, true, Date.now())
}, 60_000)
afterAll(async () => {
  await t?.close()
  await provider?.close()
})

/** Starts at our sign-in button, signs in at the provider as `login`, and comes back to our callback. */
async function viaProvider (login: string, tamper?: (callback: URL) => void) {
  const staff = new Staff(t.app)
  const start = await staff.get('/admin/sso/start')
  expect(start.statusCode).toBe(303)
  const authorization = String(start.headers.location)
  expect(authorization).toMatch(new RegExp(`^${provider.issuer}/auth\\?`))
  const params = new URL(authorization).searchParams
  expect(params.get('code_challenge_method')).toBe('S256')
  expect(params.get('state')).toMatch(/^[\w-]{20,}$/)
  expect(params.get('nonce')).toMatch(/^[\w-]{20,}$/)
  const callback = new URL(await signInThrough(authorization, login, `${base}/admin/sso/callback`))
  tamper?.(callback)
  const back = await staff.get(callback.pathname + callback.search)
  return { staff, back }
}
const audit = () => sqliteOf(t.app).prepare('SELECT actor, action, detail FROM audit_log ORDER BY id').all() as Array<Record<string, string | null>>

describe('single sign-on', () => {
  it('offers the provider on the sign-in page', async () => {
    const page = await new Staff(t.app).get('/admin/sign-in')
    expect(page.body).toContain('<a href="/admin/sso/start" class="button" role="button" draggable="false">Sign in with Test Login</a>')
  })

  it('signs in an invited account by its verified email, and links the provider\'s id to it', async () => {
    const { staff, back } = await viaProvider('jane')
    expect(back.statusCode).toBe(200)
    expect(back.body).toContain('You are signed in')
    expect(back.body).toContain('<meta http-equiv="refresh" content="0;url=/admin/forms">')
    expect((await staff.get('/admin/forms')).statusCode).toBe(200)
    expect(audit().at(-1)).toMatchObject({ actor: 'Jane Smith <jane@example.org>', action: 'sign-in', detail: 'with Test Login' })
    const linked = await t.app.services.storage.accounts.findBySsoSubject(provider.issuer, 'jane')
    expect(linked?.email).toBe('jane@example.org')
  })

  it('makes a Caseworker account for a verified email of an allowed domain', async () => {
    const { staff, back } = await viaProvider('newbie')
    expect(back.statusCode).toBe(200)
    expect(await t.app.services.storage.accounts.findByEmail('newbie@carers.example')).toMatchObject({ role: 'caseworker', name: 'New Bie' })
    expect((await staff.get('/admin/deliveries')).statusCode).toBe(200)
    expect((await staff.get('/admin/forms')).statusCode).toBe(403)
  })

  it('refuses, and records, an email with no account, an unverified email and a disabled account', async () => {
    const stranger = await viaProvider('stranger')
    expect(stranger.back.statusCode).toBe(403)
    expect(stranger.back.body).toContain('There is no staff account for stranger@elsewhere.example. Ask an admin to invite you.')
    expect((await stranger.staff.get('/admin/deliveries')).statusCode).toBe(303)
    expect(await t.app.services.storage.accounts.findByEmail('stranger@elsewhere.example')).toBeUndefined()
    const unverified = await viaProvider('unverified')
    expect(unverified.back.statusCode).toBe(403)
    expect(unverified.back.body).toContain('did not give a verified email address')
    const leaver = await viaProvider('leaver')
    expect(leaver.back.statusCode).toBe(403)
    expect(leaver.back.body).toContain('This account has been disabled.')
    expect(audit().filter((e) => e.action === 'sign-in failed').map((e) => e.detail)).toEqual(expect.arrayContaining(['no account', 'unverified email', 'disabled account']))
  })

  it('refuses an answer whose state was changed, and a callback no sign-in started', async () => {
    const tampered = await viaProvider('jane', (u) => u.searchParams.set('state', 'not-the-state-we-sent-0123456789'))
    expect(tampered.back.statusCode).toBe(400)
    expect(tampered.back.body).toContain('Test Login did not confirm who you are.')
    const cold = await new Staff(t.app).get('/admin/sso/callback?code=abc&state=def')
    expect(cold.statusCode).toBe(400)
    expect(cold.body).toContain('did not start here')
  })
})

describe('password sign-in turned off', () => {
  it('shows only the provider, and refuses a password', async () => {
    const port = await freePort()
    const only = await buildAdminApp({
      password: null,
      env: { PUBLIC_URL: `http://127.0.0.1:${port}`, OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y', PASSWORD_SIGN_IN: 'off' },
    })
    try {
      await addAccount(only.app, 'jane@example.org', 'admin')
      const staff = new Staff(only.app)
      const page = await staff.get('/admin/sign-in')
      expect(page.body).toContain('Sign in with your organisation&#39;s account')
      expect(page.body).not.toContain('name="password"')
      const refused = await staff.post('/admin/sign-in', { email: 'jane@example.org', password: 'a long walk by the river wye', _csrf: /name="_csrf" value="([^"]*)"/.exec(page.body)?.[1] ?? '' }, false)
      expect(refused.statusCode).not.toBe(303)
    } finally {
      await only.close()
    }
  })
})
