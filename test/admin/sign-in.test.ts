/**
 * Signing in to the staff pages and what guards them: no password → 503 everywhere, no session → the
 * sign-in page, the password compared and never logged, the cookie's attributes, CSRF on every POST,
 * the sign-in rate limit, never cacheable or framable, and no cookie ever on a public page.
 */
import { describe, expect, it } from 'vitest'
import { errorSummary } from '../helpers/html-fragments.js'
import { PASSWORD, signedIn, Staff, useAdminApps } from './helpers.js'
import { sqliteOf } from '../helpers/sqlite.js'

const build = useAdminApps()

const GET_PAGES = [
  '/admin', '/admin/forms', '/admin/forms/new', '/admin/forms/carers-referral/edit', '/admin/forms/carers-referral/preview',
  '/admin/forms/carers-referral/history', '/admin/forms/carers-referral/history/1', '/admin/connections', '/admin/deliveries',
  '/admin/deliveries/ABCDEFGH', '/admin/deliveries/ABCDEFGH/delete', '/admin/audit', '/admin/no-such-page',
]
const POST_ACTIONS = [
  '/admin/sign-out', '/admin/forms/new', '/admin/forms/carers-referral/edit', '/admin/forms/carers-referral/preview',
  '/admin/forms/carers-referral/history/1/restore', '/admin/connections/charitylog/test', '/admin/deliveries/ABCDEFGH/retry',
  '/admin/deliveries/ABCDEFGH/handled', '/admin/deliveries/ABCDEFGH/release', '/admin/deliveries/ABCDEFGH/delete',
]

describe('without ADMIN_PASSWORD', () => {
  it('answers every staff URL with 503 and a line saying how to set a password', async () => {
    const t = await build({ password: null })
    for (const url of ['/admin', '/admin/sign-in', ...GET_PAGES]) {
      const res = await t.app.inject(url)
      expect(res.statusCode, url).toBe(503)
      expect(res.body).toContain('npm run users -- create-admin you@example.org')
      expect(res.body).toContain('set ADMIN_PASSWORD in the environment')
      expect(res.headers['set-cookie']).toBeUndefined()
    }
    const post = await t.app.inject({ method: 'POST', url: '/admin/sign-in', payload: { password: '' } })
    expect(post.statusCode).toBe(503)
  })
})

describe('signing in', () => {
  it('sends every page to the sign-in page (303) when there is no session', async () => {
    const t = await build()
    for (const url of GET_PAGES) {
      const res = await t.app.inject(url)
      expect(res.statusCode, url).toBe(303)
      expect(res.headers.location).toBe(url === '/admin' ? '/admin/sign-in' : `/admin/sign-in?return=${encodeURIComponent(url)}`)
    }
  })

  it('refuses every action (303 to sign in) without a session, even with a CSRF token of a signed-out page', async () => {
    const t = await build()
    const visitor = new Staff(t.app)
    await visitor.get('/admin/sign-in')
    for (const url of POST_ACTIONS) {
      const res = await visitor.post(url, {})
      expect(res.statusCode, url).toBe(303)
      expect(res.headers.location).toBe('/admin/sign-in')
    }
  })

  it('shows a labelled password field, with the form\'s own cookie (no session yet), and signs in with an HttpOnly, SameSite=Strict cookie scoped to /admin', async () => {
    const t = await build()
    const res = await t.app.inject('/admin/sign-in')
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<label class="label" for="password">Staff password</label>')
    expect(res.body).toMatch(/<input[^>]*id="password"[^>]*type="password"[^>]*autocomplete="current-password"/)
    const formCookie = String(res.headers['set-cookie'])
    expect(formCookie).toMatch(/^rf_signin=[\w-]+; Max-Age=3600; Path=\/admin\/sign-in; HttpOnly; SameSite=Strict$/)
    const staff = new Staff(t.app)
    const signIn = await staff.signIn()
    const cookie = String(signIn.headers['set-cookie'])
    expect(cookie).toMatch(/(^|,)rf_admin=/)
    expect(cookie).toContain('Path=/admin')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).not.toContain('Secure')
  })

  it('marks the cookie Secure when PUBLIC_URL is https (behind a proxy the server trusts)', async () => {
    const t = await build({ env: { PUBLIC_URL: 'https://forms.example.org.uk', TRUST_PROXY: 'true' } })
    const res = await t.app.inject({ url: '/admin/sign-in', headers: { 'x-forwarded-proto': 'https' } })
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/)
    expect(res.body).not.toContain('reached the server over http')
  })

  it('says why signing in cannot work when PUBLIC_URL is https but the request arrived over http', async () => {
    const t = await build({ env: { PUBLIC_URL: 'https://forms.example.org.uk' } })
    const res = await t.app.inject('/admin/sign-in')
    expect(res.body).toContain('set TRUST_PROXY')
  })

  it('refuses a wrong password with 422 and an error summary, records it, and does not sign in', async () => {
    const t = await build()
    const staff = new Staff(t.app)
    const res = await staff.signIn('not the password')
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#password', 'The password is not right']])
    expect(res.body).toContain('aria-invalid="true"')
    expect((await staff.get('/admin/forms')).statusCode).toBe(303)
    const audit = sqliteOf(t.app).prepare('SELECT action FROM audit_log').all()
    expect(audit).toEqual([{ action: 'sign-in failed' }])
  })

  it('asks for the password when none is given', async () => {
    const t = await build()
    const res = await new Staff(t.app).signIn('')
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#password', 'Enter the staff password']])
  })

  it('signs in with the right password under a new session id, and never logs the password', async () => {
    const t = await build()
    const staff = new Staff(t.app)
    await staff.get('/admin/sign-in')
    const before = staff.cookie
    await staff.post('/admin/sign-in', { password: 'a wrong guess' })
    const res = await staff.post('/admin/sign-in', { password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/deliveries')
    expect(staff.cookie).toBeDefined()
    expect(staff.cookie).not.toBe(before)
    expect((await staff.get('/admin/forms')).statusCode).toBe(200)
    const logs = t.logs.join('')
    expect(logs).toContain('Staff signed in')
    expect(logs).not.toContain(PASSWORD)
    expect(logs).not.toContain('a wrong guess')
    const rows = JSON.stringify(sqliteOf(t.app).prepare('SELECT * FROM audit_log').all())
    expect(rows).not.toContain(PASSWORD)
  })

  it('returns to the page first asked for after signing in', async () => {
    const t = await build()
    const staff = new Staff(t.app)
    const asked = await staff.get('/admin/deliveries?state=failed')
    expect(asked.headers.location).toBe('/admin/sign-in?return=%2Fadmin%2Fdeliveries%3Fstate%3Dfailed')
    const page = await staff.get(String(asked.headers.location))
    expect(page.body).toContain('<input type="hidden" name="return" value="/admin/deliveries?state=failed">')
    const res = await staff.post('/admin/sign-in', { password: PASSWORD, return: '/admin/deliveries?state=failed' })
    expect(res.headers.location).toBe('/admin/deliveries?state=failed')
    // Never another site, whatever the link says.
    for (const evil of ['//evil.example/admin', 'https://evil.example/', '/admin\\@evil.example', '/forms/x']) {
      const other = new Staff(t.app)
      await other.get(`/admin/sign-in?return=${encodeURIComponent(evil)}`)
      expect((await other.post('/admin/sign-in', { password: PASSWORD, return: evil })).headers.location, evil).toBe('/admin/deliveries')
    }
  })

  it('signs out: the session is gone, the cookie cleared and the sign-out recorded', async () => {
    const t = await build()
    const staff = await signedIn(t.app)
    const cookie = staff.cookie
    const res = await staff.post('/admin/sign-out')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/sign-in?signed-out')
    expect(String(res.headers['set-cookie'])).toMatch(/^rf_admin=;.*Path=\/admin/)
    const again = await t.app.inject({ url: '/admin/forms', headers: { cookie: `rf_admin=${cookie}` } })
    expect(again.statusCode).toBe(303)
    expect((await staff.get('/admin/sign-in?signed-out')).body).toContain('You have signed out.')
    const actions = (sqliteOf(t.app).prepare('SELECT action FROM audit_log ORDER BY id').all() as Array<{ action: string }>).map((r) => r.action)
    expect(actions).toEqual(['sign-in', 'sign-out'])
  })

  it('ends a session after 8 hours without a request', async () => {
    let at = Date.parse('2026-06-15T12:00:00Z')
    const t = await build({ clock: () => new Date(at) })
    const staff = await signedIn(t.app)
    at += 7 * 60 * 60 * 1000
    expect((await staff.get('/admin/forms')).statusCode).toBe(200)
    at += 7 * 60 * 60 * 1000 // 14 hours after signing in, but only 7 since the last request
    expect((await staff.get('/admin/forms')).statusCode).toBe(200)
    at += 8 * 60 * 60 * 1000 + 1000
    expect((await staff.get('/admin/forms')).statusCode).toBe(303)
  })
})

describe('CSRF', () => {
  it('refuses a sign-in without the page\'s token (403) or with a wrong one', async () => {
    const t = await build()
    const staff = new Staff(t.app)
    await staff.get('/admin/sign-in')
    const missing = await staff.post('/admin/sign-in', { password: PASSWORD }, false)
    expect(missing.statusCode).toBe(403)
    expect(missing.body).toContain('That page had expired')
    expect(missing.body).toContain('<a href="/admin/sign-in">Sign in</a>')
    const wrong = await staff.post('/admin/sign-in', { password: PASSWORD }, 'abc-not-a-token')
    expect(wrong.statusCode).toBe(403)
    expect((await staff.get('/admin/forms')).statusCode).toBe(303)
  })

  it('refuses every staff action of a signed-in session without its token, or with another session\'s', async () => {
    const t = await build()
    const staff = await signedIn(t.app)
    const other = await signedIn(t.app)
    await staff.get('/admin/forms')
    await other.get('/admin/forms')
    for (const url of POST_ACTIONS) {
      expect((await staff.post(url, {}, false)).statusCode, url).toBe(403)
      expect((await staff.post(url, {}, other.csrf!)).statusCode, url).toBe(403)
    }
    // Still signed in: nothing was done, not even the sign-out.
    expect((await staff.get('/admin/forms')).statusCode).toBe(200)
  })
})

describe('limits', () => {
  it('refuses the 11th sign-in attempt from one address within 15 minutes with 429', async () => {
    const t = await build()
    const staff = new Staff(t.app)
    await staff.get('/admin/sign-in')
    for (let i = 0; i < 10; i++) expect((await staff.post('/admin/sign-in', { password: '' })).statusCode).toBe(422)
    const res = await staff.post('/admin/sign-in', { password: PASSWORD })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toMatch(/^\d+$/)
    expect(res.body).toContain('Too many attempts')
    // Another address is not held up by this one.
    const elsewhere = await t.app.inject({ url: '/admin/sign-in', remoteAddress: '203.0.113.9' })
    expect(elsewhere.statusCode).toBe(200)
  })

  it('after five wrong passwords in a row, makes each next try wait longer (1 s, 2 s…) from any address, then lets the right one in', async () => {
    let at = Date.parse('2026-06-15T12:00:00Z')
    const t = await build({ clock: () => new Date(at) })
    const staff = new Staff(t.app)
    await staff.get('/admin/sign-in')
    for (let i = 0; i < 5; i++) expect((await staff.post('/admin/sign-in', { password: `guess ${i}` })).statusCode).toBe(422)
    const held = await staff.post('/admin/sign-in', { password: PASSWORD })
    expect(held.statusCode).toBe(429)
    expect(held.headers['retry-after']).toBe('1')
    expect(held.body).toContain('too many wrong passwords')
    at += 1000
    expect((await staff.post('/admin/sign-in', { password: 'guess 5' })).statusCode).toBe(422)
    at += 1000
    expect((await staff.post('/admin/sign-in', { password: PASSWORD })).statusCode).toBe(429) // now 2 s
    at += 1000
    const ok = await staff.post('/admin/sign-in', { password: PASSWORD })
    expect(ok.statusCode).toBe(303)
    expect(ok.headers.location).toBe('/admin/deliveries')
  })

  it('limits the staff pages per address, without a row written for anyone who has not signed in', async () => {
    const t = await build()
    for (let i = 0; i < 300; i++) expect((await t.app.inject({ url: '/admin/forms', remoteAddress: '198.51.100.7' })).statusCode).toBe(303)
    const refused = await t.app.inject({ url: '/admin/forms', remoteAddress: '198.51.100.7' })
    expect(refused.statusCode).toBe(429)
    expect(refused.body).toContain('too many requests from your connection')
    expect(sqliteOf(t.app).prepare('SELECT count(*) FROM admin_sessions').pluck().get()).toBe(0)
  })

  it('writes no session row for 5,000 anonymous requests to the staff pages, the sign-in page included', async () => {
    const t = await build()
    const urls = ['/admin', '/admin/sign-in', '/admin/deliveries', '/admin/forms/carers-referral/edit', '/admin/no-such-page']
    const statuses = new Map<number, number>()
    for (let i = 0; i < 5000; i++) {
      const res = await t.app.inject({ url: urls[i % urls.length]!, remoteAddress: `10.9.${Math.floor(i / 250)}.1` })
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      expect(String(res.headers['set-cookie'] ?? '')).not.toContain('rf_admin=')
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1000, 303: 4000 })
    expect(sqliteOf(t.app).prepare('SELECT count(*) FROM admin_sessions').pluck().get()).toBe(0)
  }, 60_000)
})

describe('headers', () => {
  it('makes every staff answer uncacheable, unframable and unindexed, and sets no cookie on public pages', async () => {
    const t = await build()
    const staff = await signedIn(t.app)
    const answers = [
      await t.app.inject('/admin/sign-in'),
      await staff.get('/admin/forms'),
      await staff.get('/admin/deliveries'),
      await staff.get('/admin/no-such-page'),
      await staff.post('/admin/forms/carers-referral/edit', { yaml: 'id: carers-referral\n', base: '', intent: 'check' }),
      await staff.post('/admin/deliveries/ABCDEFGH/retry', {}, false),
    ]
    for (const res of answers) {
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['x-robots-tag']).toBe('noindex, nofollow')
    }
    for (const url of ['/', '/forms/carers-referral', '/healthz']) {
      const res = await t.app.inject({ url, headers: { cookie: `rf_admin=${staff.cookie}` } })
      expect(res.headers['set-cookie'], url).toBeUndefined()
    }
  })
})
