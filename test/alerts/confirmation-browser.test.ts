/**
 * The visitor's confirmation email in Chromium, with JavaScript on and off: the box and its warning,
 * the address asked for only once the box is ticked (shown with its condition when JavaScript is off),
 * a kind error when it is left out, and axe finding nothing on any of these pages.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLE_FORMS, buildTestApp, fastClock, listenTestApp, tempDir, type TestApp } from '../helpers/app.js'
import { expectNoAxeViolations, launchBrowser, navigate, newContext } from '../helpers/browser.js'
import { logPersonalData } from '../helpers/mail-log.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'

let smtp: TestSmtp
let t: TestApp
let browser: Browser
let withJs: BrowserContext
let withoutJs: BrowserContext
let base = ''
let formsDir = ''

beforeAll(async () => {
  smtp = await startSmtp()
  formsDir = tempDir('rf-confirm-browser-')
  const file = path.join(formsDir, 'carers-referral.yaml')
  copyFileSync(path.join(EXAMPLE_FORMS, 'carers-referral.yaml'), file)
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^confirmation:\n/m, 'confirmation:\n  email: true\n'))
  t = await buildTestApp({ formsDir, clock: fastClock(), startWorker: true, env: smtpEnv(smtp, { CHARITY_NAME: 'Wye Valley Carers' }) })
  base = await listenTestApp(t)
  browser = await launchBrowser()
  withJs = await newContext(browser, { javaScriptEnabled: true })
  withoutJs = await newContext(browser, { javaScriptEnabled: false })
}, 60_000)

afterAll(async () => {
  await withJs?.close()
  await withoutJs?.close()
  await browser?.close()
  await t?.close()
  await smtp?.close()
  rmSync(formsDir, { recursive: true, force: true })
})

async function fillIn (page: Page) {
  const carer = page.locator('#g-carer')
  await carer.getByLabel('First name').fill('Morwenna')
  await carer.getByLabel('Last name').fill('Trevithickson')
  await carer.getByLabel('Email address').fill('morwenna@example.org')
  await carer.getByLabel('Phone number').fill('01989 567890')
  await carer.getByLabel('Address line 1').fill('2 Mill Street')
  await carer.getByLabel('Postcode').fill('HR9 7US')
  const cared = page.locator('#g-cared_for')
  await cared.getByLabel('First name').fill('Jory')
  await cared.getByLabel('Last name').fill('Trevithickson')
  await page.getByLabel('How can we help?').fill('I need a break from caring for my father Jory')
  await page.getByLabel('I agree to you storing these details').check()
  logPersonalData(['Morwenna', 'Trevithickson', 'morwenna@example.org', '01989 567890', '2 Mill Street', 'Jory', 'I need a break from caring for my father Jory'])
}

const send = (page: Page) => navigate(page, () => page.getByRole('button', { name: 'Send referral', exact: true }).click())

describe('the confirmation email on the form', () => {
  it('with JavaScript: the address appears when the box is ticked, is asked for kindly, and the email comes', async () => {
    const page = await withJs.newPage()
    await page.goto(`${base}/forms/carers-referral`)
    await expectNoAxeViolations(page, 'form offering a confirmation email')
    const address = page.getByLabel('Your email address')
    expect(await address.isVisible()).toBe(false)
    await page.getByLabel('Email me a confirmation with my reference').check()
    expect(await address.isVisible()).toBe(true)
    await expectNoAxeViolations(page, 'the address shown')
    await fillIn(page)
    const refused = await send(page)
    expect(refused.status()).toBe(422)
    expect(await page.locator('.error-summary').innerText()).toMatch(/Enter (your|an) email address/i)
    expect(await page.getByLabel('First name').first().inputValue()).toBe('Morwenna')
    await expectNoAxeViolations(page, 'the address left out')
    await page.getByLabel('Your email address').fill('morwenna.visitor@example.org')
    await send(page)
    const reference = (await page.locator('.reference').innerText()).trim()
    const [mail] = await smtp.waitFor(1)
    expect(mail).toMatchObject({ to: ['morwenna.visitor@example.org'], subject: `We have your referral: ${reference}` })
    expect(mail!.text).toContain('Wye Valley Carers has your referral')
    await page.close()
  }, 60_000)

  it('without JavaScript: the address is shown with its condition, and the page has no axe violation', async () => {
    const page = await withoutJs.newPage()
    await page.goto(`${base}/forms/carers-referral`)
    expect(await page.getByLabel('Your email address').isVisible()).toBe(true)
    await expectNoAxeViolations(page, 'form offering a confirmation email, no JavaScript')
    await page.close()
  }, 60_000)
})
