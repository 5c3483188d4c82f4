/**
 * Named accounts in Chromium (issue 11): an admin signs in with email and password, invites someone,
 * sets up two-factor sign-in by the QR page's key, signs out and back in with the app's code; and an
 * editor signs in through a real OpenID Connect provider's pages (oidc-provider), back to the staff
 * pages with the SameSite=Strict session cookie. axe finds nothing on the new pages.
 */
import { createServer } from 'node:net'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../../src/admin/two-factor.js'
import { clickThrough, expectNoAxeViolations, launchBrowser, navigate, newContext } from '../helpers/browser.js'
import { startProvider, type TestProvider } from '../helpers/oidc.js'
import { ACCOUNT_PASSWORD, addAccount, buildAdminApp, type AdminTestApp } from './helpers.js'

let provider: TestProvider
let t: AdminTestApp
let browser: Browser
let context: BrowserContext
let base = ''

beforeAll(async () => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  base = `http://127.0.0.1:${port}`
  // On another site (localhost, not 127.0.0.1), as a real provider is: the way back is a cross-site navigation.
  provider = await startProvider(`${base}/admin/sso/callback`, { ed: { email: 'ed@example.org', name: 'Ed Itor' } }, 'localhost')
  t = await buildAdminApp({
    password: null,
    clock: () => new Date(),
    env: { PUBLIC_URL: base, OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret, OIDC_LABEL: 'Test Login' },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
  await addAccount(t.app, 'ada@example.org', 'admin', ACCOUNT_PASSWORD, 'Ada Admin')
  await addAccount(t.app, 'ed@example.org', 'editor', ACCOUNT_PASSWORD, 'Ed Itor')
  browser = await launchBrowser()
  context = await newContext(browser, { javaScriptEnabled: true })
}, 90_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await t?.close()
  await provider?.close()
})

const click = clickThrough
const expectNoViolations = expectNoAxeViolations

describe('named accounts in the browser', () => {
  it('signs in with email and password, invites, sets up two-factor sign-in, and signs in again with the app\'s code', async () => {
    const page = await context.newPage()
    await page.goto(`${base}/admin`)
    expect(page.url()).toBe(`${base}/admin/sign-in`)
    await expectNoViolations(page, 'sign-in with accounts and single sign-on')
    await page.getByLabel('Email address').fill('ada@example.org')
    await page.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD)
    await click(page, 'Sign in')
    expect(page.url()).toBe(`${base}/admin/deliveries`)
    expect(await page.locator('.admin-header__me').innerText()).toContain('Ada Admin (Admin)')

    await click(page, 'Staff accounts', 'link')
    await expectNoViolations(page, 'staff accounts')
    await page.getByLabel('Email address').fill('cas@example.org')
    await page.getByLabel('Name').fill('Cas Worker')
    await page.getByLabel('Caseworker').check()
    await click(page, 'Invite')
    expect(await page.locator('.link-to-copy').innerText()).toMatch(new RegExp(`^${base}/admin/welcome\\?token=`))
    await expectNoViolations(page, 'an invitation made')

    await click(page, 'Ada Admin (Admin)', 'link')
    await click(page, 'Set up two-factor sign-in', 'link')
    expect(await page.locator('.qr svg').count()).toBe(1)
    await expectNoViolations(page, 'two-factor set-up')
    const secret = (await page.locator('.link-to-copy').innerText()).replace(/\s+/g, '')
    await page.getByLabel('Code from the app').fill(totpCode(secret, Date.now()))
    await click(page, 'Turn on two-factor sign-in')
    expect(await page.locator('.recovery-codes li').count()).toBe(10)
    await expectNoViolations(page, 'recovery codes')

    await click(page, 'Sign out')
    await page.getByLabel('Email address').fill('ada@example.org')
    await page.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD)
    await click(page, 'Sign in')
    expect(page.url()).toBe(`${base}/admin/sign-in/code`)
    await expectNoViolations(page, 'the code step')
    // The next time step: the one used to turn it on may not be used again.
    await page.getByLabel('Code').fill(totpCode(secret, Date.now() + 30_000))
    await click(page, 'Continue')
    expect(page.url()).toBe(`${base}/admin/deliveries`)
    await page.close()
  }, 90_000)

  it('signs in through the provider\'s own pages and lands on the staff pages, signed in', async () => {
    const fresh = await newContext(browser, { javaScriptEnabled: true })
    const page = await fresh.newPage()
    await page.goto(`${base}/admin/sign-in`)
    await click(page, 'Sign in with Test Login')
    expect(page.url().startsWith(provider.issuer)).toBe(true)
    await page.locator('input[name="login"]').fill('ed')
    await page.locator('input[name="password"]').fill('any')
    await navigate(page, () => page.locator('button[type="submit"]').click())
    // The provider's consent page (the first time): "Continue".
    if (page.url().startsWith(provider.issuer)) await page.locator('button[type="submit"]').click()
    await page.waitForURL(`${base}/admin/forms`, { timeout: 10_000 })
    expect(await page.locator('h1').innerText()).toBe('Forms')
    expect(await page.locator('.admin-header__me').innerText()).toContain('Ed Itor (Editor)')
    await fresh.close()
  }, 90_000)
})
