/**
 * Email alerts on the staff pages, in Chromium with JavaScript off: an admin reads the Email alerts
 * page, sends a test email that a real SMTP server receives, and chooses on their account page which
 * alerts they get; a caseworker's defaults follow their role. axe finds nothing on either page.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clickThrough as click, expectNoAxeViolations, launchBrowser, newContext, signInInBrowser } from '../helpers/browser.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'
import { ACCOUNT_PASSWORD, type AdminTestApp, listeningAdminApp } from '../admin/helpers.js'
import { recipientsFor } from '../../src/alerts/recipients.js'
import type { Alert } from '../../src/storage/index.js'

let smtp: TestSmtp
let t: AdminTestApp
let browser: Browser
let context: BrowserContext
let base = ''

beforeAll(async () => {
  smtp = await startSmtp()
  ;({ t, base } = await listeningAdminApp({ startWorker: true, env: smtpEnv(smtp) }, [['ada@example.org', 'admin', 'Ada Admin'], ['cas@example.org', 'caseworker', 'Cas Worker']]))
  browser = await launchBrowser()
  context = await newContext(browser, { javaScriptEnabled: false })
}, 90_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await t?.close()
  await smtp?.close()
})

/** Who a referral's own alert (failed) would go to now. */
const needsStaffTo = () => recipientsFor({ kind: 'failed', form_id: 'carers-referral', detail: null } as Alert, {
  alertEmails: t.config.mail!.alertEmails, accounts: t.app.services.storage.accounts, settings: t.app.services.storage.settings, teamEmail: () => undefined,
})

describe('email alerts on the staff pages', () => {
  it('shows the settings, sends a test email, and lets each person choose what they get', async () => {
    const page = await context.newPage()
    await signInInBrowser(page, base, 'ada@example.org', ACCOUNT_PASSWORD)

    await click(page, 'Email alerts', 'link')
    expect(await page.locator('dl.summary').innerText()).toContain(`127.0.0.1:${smtp.port}`)
    await expectNoAxeViolations(page, 'email alerts')
    expect(await page.getByLabel('Email address').inputValue()).toBe('ada@example.org')
    await click(page, 'Send a test email')
    expect(await page.locator('.banner--success').innerText()).toContain('A test email to ada@example.org is on its way')
    const [mail] = await smtp.waitFor(1)
    expect(mail).toMatchObject({ subject: 'Test email from the referral forms', to: ['ada@example.org'] })
    await expectNoAxeViolations(page, 'email alerts, with the test email listed')

    // Until she chooses, an admin gets referrals that need staff (her role's default), as does a caseworker.
    expect(await needsStaffTo()).toEqual(['ada@example.org', 'cas@example.org', 'team@charity.example'])
    await click(page, 'Ada Admin (Admin)', 'link')
    await expectNoAxeViolations(page, 'your account, with email alerts')
    const needsStaff = page.getByLabel('A referral needs staff')
    expect(await needsStaff.isChecked()).toBe(true)
    expect(await page.getByLabel('A new referral arrived').isChecked()).toBe(false)
    await needsStaff.uncheck()
    await click(page, 'Save email alerts')
    expect(await page.locator('.banner--success').innerText()).toContain('Your email alerts are saved')
    expect(await page.getByLabel('A referral needs staff').isChecked()).toBe(false)
    expect(await page.getByLabel('The daily summary').isChecked()).toBe(true)
    expect(await needsStaffTo()).toEqual(['cas@example.org', 'team@charity.example'])

    // A disabled account gets nothing.
    const cas = (await t.app.services.storage.accounts.findByEmail('cas@example.org'))!
    await t.app.services.storage.accounts.setDisabled(cas.id, true, Date.now())
    expect(await needsStaffTo()).toEqual(['team@charity.example'])
    await page.close()
  }, 90_000)
})
