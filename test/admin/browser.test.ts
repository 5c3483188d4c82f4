/**
 * The staff pages in Chromium, as a member of staff with only the password would use them: sign in,
 * change a question (break the YAML, read the line-numbered error, fix it, preview, save, see the
 * public form change), then retry a referral that failed once the CRM accepts again. axe-core
 * (WCAG 2.0–2.2 A/AA and best practices) finds nothing on any staff page, with JavaScript on or off.
 */
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { clickThrough, expectNoAxeViolations, launchBrowser, newContext } from '../helpers/browser.js'
import { carersBody, charitylogEnv, FAST_RELAY, submit, testClock, waitForRow } from '../helpers/relay.js'
import { buildAdminApp, PASSWORD, type AdminTestApp } from './helpers.js'

let fake: FakeCharitylog
let t: AdminTestApp
let browser: Browser
let context: BrowserContext
let noJs: BrowserContext
let base = ''
let failedRef = ''

beforeAll(async () => {
  fake = await startFakeCharitylog()
  t = await buildAdminApp({ env: charitylogEnv(fake), relay: { ...FAST_RELAY, pollMs: 100 }, startWorker: true, clock: testClock })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  // A referral the CRM refuses once (its data was wrong there, say), and one quarantined as spam.
  fake.faults.nextStatus(400, { error: 'Person 0: org_type_id is not valid' })
  failedRef = await submit(t.app, 'carers-referral', carersBody({ first: 'Morwenna', surname: 'Trelawney' }, [{ first: 'Tamsin', surname: 'Trelawney' }]))
  await waitForRow(t, failedRef, 'failed', (r) => r.failed_at !== null)
  browser = await launchBrowser()
  context = await newContext(browser, { javaScriptEnabled: true })
  noJs = await newContext(browser, { javaScriptEnabled: false })
})

afterAll(async () => {
  await context?.close()
  await noJs?.close()
  await browser?.close()
  await t?.close()
  await fake?.close()
})

const click = clickThrough
const expectNoViolations = expectNoAxeViolations

async function signIn (page: Page): Promise<void> {
  await page.goto(`${base}/admin`)
  expect(page.url()).toBe(`${base}/admin/sign-in`)
  await page.getByLabel('Staff password').fill(PASSWORD)
  await click(page, 'Sign in')
}

describe('staff in the browser', () => {
  it('signs in, breaks the YAML, sees the line-numbered error, fixes it, previews, saves, and sees the public form change', async () => {
    const page = await context.newPage()
    await page.goto(`${base}/admin/sign-in`)
    await expectNoViolations(page, 'sign-in')
    await page.getByLabel('Staff password').fill('not it')
    expect((await click(page, 'Sign in')).status()).toBe(422)
    expect(await page.locator('.error-summary').innerText()).toContain('The password is not right')
    // As on the public pages, the error summary takes the focus, so a screen reader reads it first.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true)
    await expectNoViolations(page, 'sign-in with an error')
    await page.getByLabel('Staff password').fill(PASSWORD)
    await click(page, 'Sign in')
    expect(page.url()).toBe(`${base}/admin/deliveries`)

    await click(page, 'Forms', 'link')
    await expectNoViolations(page, 'forms list')
    await click(page, 'Edit the YAML Refer yourself for carer support', 'link')
    const yaml = page.locator('#yaml')
    const original = await yaml.inputValue()
    const changed = original.replace('How can we help?', 'What would help you most?')
    const broken = changed.replace('label: Last name, type: text', 'lable: Last name, type: text')
    const brokenLine = broken.split('\n').findIndex((l) => l.includes('lable:')) + 1
    await yaml.fill(broken)
    expect((await click(page, 'Check')).status()).toBe(422)
    const summary = await page.locator('.error-summary').innerText()
    expect(summary).toContain(`Line ${brokenLine}, people[0].fields[1]: unknown key "lable"`)
    const marked = page.locator(`#line-${brokenLine}`)
    expect(await marked.innerText()).toContain('lable: Last name')
    expect(await marked.innerText()).toContain('unknown key "lable"')
    await expectNoViolations(page, 'editor with errors')
    await page.locator('.error-summary a').first().click()
    expect(page.url()).toBe(`${base}/admin/forms/carers-referral/edit?draft=checked#line-${brokenLine}`)

    await yaml.fill(changed)
    await click(page, 'Preview')
    expect(page.url()).toBe(`${base}/admin/forms/carers-referral/preview`)
    expect(await page.getByLabel('What would help you most?').count()).toBe(1)
    await expectNoViolations(page, 'preview')
    // The browser's Back from the preview is a page GET can show again: the editor with the text last
    // sent (a POST there would be Chrome's "Confirm form resubmission" page, ERR_CACHE_MISS).
    const back = await page.goBack()
    expect(back?.request().method()).toBe('GET')
    expect(page.url()).toBe(`${base}/admin/forms/carers-referral/edit?draft=checked#line-${brokenLine}`)
    expect(await page.locator('#yaml').inputValue()).toBe(changed)
    await page.goForward()
    expect(page.url()).toBe(`${base}/admin/forms/carers-referral/preview`)
    await click(page, 'Back to the editor', 'link')
    expect(await page.locator('#yaml').inputValue()).toBe(changed)
    await click(page, 'Save and make live')
    expect(await page.locator('[role=status]').first().innerText()).toContain('Saved. The live form carers-referral now shows your changes.')

    const visitor = await context.newPage()
    await visitor.goto(`${base}/forms/carers-referral`)
    expect(await visitor.getByLabel('What would help you most?').count()).toBe(1)
    expect(await visitor.getByText('How can we help?').count()).toBe(0)
    await visitor.close()

    await click(page, 'Earlier versions of carers-referral.yaml', 'link')
    await expectNoViolations(page, 'history')
    await page.close()
  }, 60_000)

  it('retries a failed referral once the CRM accepts again, and the banner goes', async () => {
    const fresh = await newContext(browser, { javaScriptEnabled: true })
    const page = await fresh.newPage()
    await signIn(page)
    expect(await page.getByRole('region', { name: 'Referrals need you' }).innerText()).toContain('1 failed')
    await expectNoViolations(page, 'deliveries')
    await click(page, failedRef, 'link')
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(`Referral ${failedRef}`)
    expect(await page.getByText('Morwenna').count()).toBeGreaterThan(0)
    await expectNoViolations(page, 'a failed referral')
    // The CRM has been put right (the fake accepts from now on): retry.
    await click(page, 'Retry now')
    expect(await page.getByRole('status').first().innerText()).toContain('It is being sent again now.')
    await waitForRow(t, failedRef, 'delivered', (r) => r.delivered_at !== null)
    await page.reload()
    expect(await page.locator('.tag').first().innerText()).toBe('Delivered')
    expect(await page.getByText('Morwenna').count()).toBe(0)
    expect(await page.getByRole('region', { name: 'Referrals need you' }).count()).toBe(0)
    expect(fake.referrals).toHaveLength(1)
    await expectNoViolations(page, 'a delivered referral')

    await click(page, 'Audit log', 'link')
    expect(await page.locator('table').innerText()).toContain('retry')
    await expectNoViolations(page, 'audit log')
    await click(page, 'Connections', 'link')
    await click(page, 'Test the connection to Charitylog')
    expect(await page.getByText('Service user: ID 7').count()).toBe(1)
    await expectNoViolations(page, 'connections after a test')
    await fresh.close()
  }, 60_000)

  it('has no accessibility violations on the staff pages with JavaScript off', async () => {
    const quarantined = (await t.app.services.storage.submissions.insertOnce({
      formId: 'carers-referral',
      formHash: 'x',
      destination: 'charitylog',
      payload: { destination: 'charitylog', people: [{ first_name: 'Spam', surname: 'Bot', org_type_id: 7 }] },
      answers: [{ heading: 'About you', items: [{ label: 'First name', answer: 'Spam' }] }],
    }, testClock().getTime(), { quarantineReason: 'The hidden anti-spam field was filled in' })).reference
    const page = await noJs.newPage()
    await signIn(page)
    for (const path of ['/admin/deliveries', `/admin/deliveries/${quarantined}`, `/admin/deliveries/${quarantined}/delete`, '/admin/forms',
      '/admin/forms/new', '/admin/forms/carers-referral/edit', '/admin/forms/carers-referral/history', '/admin/connections', '/admin/audit']) {
      const res = await page.goto(`${base}${path}`)
      expect(res?.status(), path).toBe(200)
      await expectNoViolations(page, path)
    }
    await page.goto(`${base}/admin/forms/new`)
    expect((await click(page, 'Continue in the YAML editor')).status()).toBe(422)
    await expectNoViolations(page, 'new form with errors')
    await page.close()
  }, 90_000)
})
