/**
 * axe-core (WCAG 2.0–2.2 A/AA and best practices, test/helpers/browser.ts) on every kind of public
 * page, in Chromium, with the pages' real CSP: zero violations, no rule turned off.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations, field, navigate, newContext } from '../helpers/browser.js'
import { startBrowserApps, type BrowserApps } from '../helpers/browser-apps.js'

let apps: BrowserApps
let browser: Browser
let withJs: BrowserContext
let withoutJs: BrowserContext
let base = ''
let fixturesBase = ''

beforeAll(async () => {
  apps = await startBrowserApps()
  ;({ base, fixturesBase, browser } = apps)
  withJs = await newContext(browser, { javaScriptEnabled: true })
  withoutJs = await newContext(browser, { javaScriptEnabled: false })
})

afterAll(async () => {
  await withJs?.close()
  await withoutJs?.close()
  await apps?.close()
})

const send = (page: Page, label = 'Send referral') =>
  navigate(page, () => page.getByRole('button', { name: label, exact: true }).click())

const expectNoViolations = (page: Page) => expectNoAxeViolations(page)

/** Opens a page in a fresh tab of the context; the test closes it. */
async function open (context: BrowserContext, url: string, status = 200): Promise<Page> {
  const page = await context.newPage()
  const response = await page.goto(url)
  expect(response?.status()).toBe(status)
  return page
}

describe('axe with JavaScript on', () => {
  it.each([
    ['carers-referral', () => base],
    ['professional-referral', () => base],
    ['all-types', () => fixturesBase],
    ['welsh-form', () => fixturesBase],
  ])('form page %s', async (id, origin) => {
    const page = await open(withJs, `${origin()}/forms/${id}`)
    await expectNoViolations(page)
    await page.close()
  })

  it('carers form with a second person added in the page', async () => {
    const page = await open(withJs, `${base}/forms/carers-referral`)
    await page.getByRole('button', { name: 'Add another person' }).click()
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(2)
    await expectNoViolations(page)
    await page.close()
  })

  it('all-types form with its show_if questions shown', async () => {
    const page = await open(withJs, `${fixturesBase}/forms/all-types`)
    await page.getByLabel('Phone', { exact: true }).check()
    await page.getByLabel('Housing', { exact: true }).check()
    await page.getByRole('button', { name: 'Add a family member' }).click()
    expect(await page.locator('#f-best_time').isVisible()).toBe(true)
    await expectNoViolations(page)
    await page.close()
  })

  it.each([
    ['carers-referral', () => base, 'Send referral'],
    ['professional-referral', () => base, 'Send referral'],
    ['all-types', () => fixturesBase, 'Send referral'],
    ['welsh-form', () => fixturesBase, 'Anfon yr atgyfeiriad'],
  ])('422 page of %s', async (id, origin, label) => {
    const page = await open(withJs, `${origin()}/forms/${id}`)
    if (id === 'all-types') {
      // Errors of every kind: a date, a number, a show_if question, too-long text.
      await field(page, 'client[0][age]').fill('12')
      await field(page, 'client[0][date_of_birth][day]').fill('40')
      await page.getByLabel('Phone', { exact: true }).check()
      await page.locator('#f-best_time').fill('x'.repeat(201))
    }
    expect((await send(page, label)).status()).toBe(422)
    expect(await page.locator('.error-summary a').count()).toBeGreaterThan(1)
    await expectNoViolations(page)
    await page.close()
  })

  it('confirmation page', async () => {
    const page = await open(withJs, `${base}/forms/professional-referral`)
    await field(page, 'client[0][first_name]').fill('Ann')
    await field(page, 'client[0][surname]').fill('Jones')
    await field(page, 'referrer[0][first_name]').fill('Sam')
    await field(page, 'referrer[0][surname]').fill('Patel')
    await field(page, 'referrer[0][email]').fill('sam@example.org')
    await field(page, 'reason').fill('Debt advice')
    await page.getByLabel('Within a week').check()
    expect((await send(page)).status()).toBe(200)
    expect(page.url()).toMatch(/\/forms\/professional-referral\/sent\/[A-Z0-9]{8}$/)
    await expectNoViolations(page)
    await page.close()
  })

  it('Welsh confirmation page', async () => {
    const page = await open(withJs, `${fixturesBase}/forms/welsh-form`)
    await field(page, 'client[0][first_name]').fill('Siân')
    await field(page, 'client[0][surname]').fill('Owen')
    await field(page, 'reason').fill('Cymorth')
    expect((await send(page, 'Anfon yr atgyfeiriad')).status()).toBe(200)
    expect(await page.locator('html').getAttribute('lang')).toBe('cy')
    await expectNoViolations(page)
    await page.close()
  })

  it.each([
    ['unknown form', '/forms/no-such-form'],
    ['unknown page', '/no/such/page'],
    ['unknown reference', '/forms/carers-referral/sent/ABCDEFGH'],
  ])('404 page (%s)', async (_name, path) => {
    const page = await open(withJs, `${base}${path}`, 404)
    await expectNoViolations(page)
    await page.close()
  })

  it('list of forms', async () => {
    const page = await open(withJs, `${base}/`)
    await expectNoViolations(page)
    await page.close()
  })
})

describe('axe with JavaScript off', () => {
  it.each([
    ['carers-referral', () => base],
    ['all-types', () => fixturesBase],
  ])('form page %s', async (id, origin) => {
    const page = await open(withoutJs, `${origin()}/forms/${id}`)
    await expectNoViolations(page)
    await page.close()
  })

  it('carers form after a no-JavaScript "Add another person"', async () => {
    const page = await open(withoutJs, `${base}/forms/carers-referral`)
    expect((await navigate(page, () => page.getByRole('button', { name: 'Add another person' }).click())).status()).toBe(200)
    await expectNoViolations(page)
    await page.close()
  })

  it.each([
    ['carers-referral', () => base],
    ['all-types', () => fixturesBase],
  ])('422 page of %s', async (id, origin) => {
    const page = await open(withoutJs, `${origin()}/forms/${id}`)
    expect((await send(page)).status()).toBe(422)
    await expectNoViolations(page)
    await page.close()
  })
})
