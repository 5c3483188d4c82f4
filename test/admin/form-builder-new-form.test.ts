/**
 * The issue's own test of the form builder (issue 14), in Chromium with JavaScript off: a member of staff
 * who never opens the YAML makes a new Lamplight form, with its workarea chosen from what Lamplight lists,
 * a referrer group, a radios question sent as a custom field and a question shown only after one of its
 * answers; previews it and publishes it. A visitor then sends it, and the fake Lamplight (which enforces
 * the documented contract) receives the two profiles and the referral with those fields.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import { clickThrough as click, expectNoAxeViolations, launchBrowser, newContext, signInInBrowser } from '../helpers/browser.js'
import { lamplightEnv, waitFor } from '../helpers/relay.js'
import { ACCOUNT_PASSWORD, type AdminTestApp, listeningAdminApp } from './helpers.js'

let t: AdminTestApp
let crm: FakeLamplight
let browser: Browser
let staffContext: BrowserContext
let visitorContext: BrowserContext
let base = ''

/** Full-page pictures of the steps, into tmp/screens/ (git-ignored), for the README's staff section. */
const SCREENS = path.resolve(import.meta.dirname, '../../tmp/screens')
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENS, `builder-${name}.png`), fullPage: true })

beforeAll(async () => {
  mkdirSync(SCREENS, { recursive: true })
  crm = await startFakeLamplight()
  ;({ t, base } = await listeningAdminApp({ startWorker: true, env: { MIN_FILL_SECONDS: '0', ...lamplightEnv(crm) } }, [['ed@example.org', 'editor', 'Ed Itor']]))
  browser = await launchBrowser()
  staffContext = await newContext(browser, { javaScriptEnabled: false })
  visitorContext = await newContext(browser, { javaScriptEnabled: false })
}, 90_000)

afterAll(async () => {
  await staffContext?.close()
  await visitorContext?.close()
  await browser?.close()
  await t?.close()
  await crm?.close()
})

it('a new Lamplight form made without YAML, published, and sent by a visitor to the fake Lamplight', async () => {
  const page = await staffContext.newPage()
  await signInInBrowser(page, base, 'ed@example.org', ACCOUNT_PASSWORD)

  await click(page, 'Make a new form', 'link')
  await page.getByLabel('Id of the new form').fill('advice-referral')
  await page.getByLabel('Lamplight (starts from the professionals\' example)').check()
  await click(page, 'Continue in the form builder')
  expect(page.url()).toBe(`${base}/admin/forms/advice-referral/build`)
  await expectNoAxeViolations(page, 'a new form in the builder')
  await shot(page, '1-new-form')

  // Where referrals go: the workarea from Lamplight's own list.
  await click(page, 'Where referrals go', 'link')
  await expectNoAxeViolations(page, 'where referrals go')
  await page.getByLabel('Lamplight workarea').selectOption({ label: 'Advice (2)' })
  await page.getByLabel('The question whose answer is the referral’s reason').selectOption({ label: 'How can we help?' })
  await click(page, 'Save to the draft')

  // The professional who refers.
  await click(page, 'Add a group of people', 'link')
  await expectNoAxeViolations(page, 'adding a group of people')
  await page.getByLabel('Heading').fill('You, the person referring')
  await page.getByLabel('The person referring them (the referrer)').check()
  await page.getByLabel('A contact (such as a professional)').check()
  await click(page, 'Save to the draft')
  expect(await page.locator('.banner--success').innerText()).toContain('Added the group “You, the person referring”')

  // A radios question sent as a Lamplight custom field, and one shown only after its "Yes".
  await click(page, 'Add a question about the referral', 'link')
  await page.getByLabel('One choice from a short list, all shown.').check()
  await click(page, 'Continue')
  await page.getByLabel('Question', { exact: true }).fill('Does the person have a social worker?')
  await page.getByLabel('Words of answer 1').fill('Yes')
  await page.getByLabel('Words of answer 2').fill('No')
  await page.getByLabel('Yes, it is required').check()
  await page.getByLabel('As this CRM field:').check()
  await page.getByLabel('CRM field (with “As this CRM field”)').fill('has social worker')
  await shot(page, '2-question')
  await click(page, 'Save to the draft')
  await click(page, 'Add a question about the referral', 'link')
  await page.getByLabel('One line of text.').check()
  await click(page, 'Continue')
  await page.getByLabel('Question', { exact: true }).fill('What is the social worker’s name?')
  await page.getByLabel('Show this question').selectOption({ label: 'Only if “Does the person have a social worker?” is answered “Yes”' })
  await shot(page, '3-show-only-if')
  await page.getByLabel('As this CRM field:').check()
  await page.getByLabel('CRM field (with “As this CRM field”)').fill('social worker name')
  await click(page, 'Save to the draft')

  // Not publishable yet: who is asking, and what happens next.
  await click(page, 'Publish')
  expect(await page.locator('.error-summary').innerText()).toContain('Add the address of your privacy notice')
  await expectNoAxeViolations(page, 'publishing refused')
  await shot(page, '4-publish-refused')
  await click(page, 'Form settings', 'link')
  await expectNoAxeViolations(page, 'form settings')
  await page.getByLabel('Title').fill('Refer someone for advice')
  await page.getByLabel('Address of your privacy notice').fill('https://advice.example.org/privacy')
  await page.getByLabel('Email address shown on the form').fill('referrals@advice.example.org')
  await page.getByLabel('What happens next').fill('We will contact the person within 3 working days.')
  await click(page, 'Save to the draft')

  await click(page, 'Preview the draft', 'link')
  expect(await page.getByText('Does the person have a social worker?').count()).toBeGreaterThan(0)
  await click(page, 'Back to the questions', 'link')
  await click(page, 'Publish')
  expect(await page.locator('.banner--success').innerText()).toContain('Published')
  await shot(page, '5-published')
  await page.close()

  // A visitor, without JavaScript.
  const visitor = await visitorContext.newPage()
  await visitor.goto(`${base}/forms/advice-referral`)
  expect(await visitor.locator('h1').innerText()).toBe('Refer someone for advice')
  await expectNoAxeViolations(visitor, 'the new form, as visitors see it')
  const client = visitor.locator('#g-client')
  await client.getByLabel('First name').fill('Seren')
  await client.getByLabel('Last name').fill('Mabonwy')
  const referrer = visitor.locator('#g-you_the_person_referring')
  await referrer.getByLabel('First name').fill('Dylan')
  await referrer.getByLabel('Last name').fill('Caseworker')
  await visitor.getByLabel('How can we help?').fill('Help with a benefits appeal')
  await visitor.getByLabel('Yes').check()
  await visitor.getByLabel('What is the social worker’s name?').fill('Ffion Social')
  await click(visitor, 'Send referral')
  expect(await visitor.locator('.reference').count()).toBe(1)
  await visitor.close()

  await waitFor('the referral at Lamplight', () => crm.referrals.length === 1, 15_000)
  expect(crm.profiles.map((p) => [p.role, p.fields.first_name, p.fields.surname])).toEqual([['user', 'Seren', 'Mabonwy'], ['contact', 'Dylan', 'Caseworker']])
  expect(crm.referrals[0]!.fields).toMatchObject({
    workareaid: '2',
    attendee: String(crm.profiles[0]!.id),
    referrer: String(crm.profiles[1]!.id),
    has_social_worker: 'yes',
    social_worker_name: 'Ffion Social',
  })
  expect(crm.referrals[0]!.fields.referral_reason).toContain('Help with a benefits appeal')
}, 120_000)
