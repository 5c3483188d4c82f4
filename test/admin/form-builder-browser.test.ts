/**
 * The form builder in Chromium with JavaScript off, as a member of staff who never opens the YAML: from
 * the forms list to a form's questions, a question moved down, one changed (with a kind error first),
 * the draft previewed and published; axe finds nothing on any builder page.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { clickThrough as click, expectNoAxeViolations, launchBrowser, newContext, signInInBrowser } from '../helpers/browser.js'
import { ACCOUNT_PASSWORD, type AdminTestApp, listeningAdminApp } from './helpers.js'

let t: AdminTestApp
let browser: Browser
let context: BrowserContext
let base = ''

beforeAll(async () => {
  ;({ t, base } = await listeningAdminApp({}, [['ed@example.org', 'editor', 'Ed Itor']]))
  browser = await launchBrowser()
  context = await newContext(browser, { javaScriptEnabled: false })
}, 90_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await t?.close()
})

it('moves and changes questions, previews and publishes, without JavaScript and without YAML', async () => {
  const page = await context.newPage()
  await signInInBrowser(page, base, 'ed@example.org', ACCOUNT_PASSWORD)
  await click(page, 'Questions (form builder) of Refer yourself for carer support', 'link')
  await expectNoAxeViolations(page, 'the questions of a live form')

  await click(page, 'Move down “How can we help?”')
  expect(await page.locator('.banner--success').innerText()).toContain('Moved “How can we help?” down.')
  await expectNoAxeViolations(page, 'the questions of a draft')
  const order = await page.locator('#questions h3').allInnerTexts()
  expect(order.indexOf('How did you hear about us?')).toBeLessThan(order.indexOf('How can we help?'))

  await click(page, 'Change “How did you hear about us?”', 'link')
  await expectNoAxeViolations(page, 'changing a question')
  await page.getByLabel('Question', { exact: true }).fill('')
  await click(page, 'Save to the draft')
  expect(await page.locator('.error-summary').innerText()).toContain('Enter the question, as visitors will read it')
  await expectNoAxeViolations(page, 'a question left empty')
  await page.getByLabel('Question', { exact: true }).fill('Where did you hear about us?')
  await page.getByLabel('Hint (optional)').fill('For example, your GP')
  await page.getByLabel('Yes, it is required').check()
  await click(page, 'Save to the draft')

  // A new question with answers to choose from, one answer added and one removed, without JavaScript.
  await click(page, 'Add a question about the referral', 'link')
  await expectNoAxeViolations(page, 'choosing the kind of question')
  await page.getByLabel('One choice from a short list, all shown.').check()
  await click(page, 'Continue')
  await expectNoAxeViolations(page, 'a new question with answers')
  await page.getByLabel('Question', { exact: true }).fill('Does the person you care for have a social worker?')
  await page.getByLabel('Words of answer 1').fill('Yes')
  await page.getByLabel('Words of answer 2').fill('No')
  await click(page, 'Add another answer')
  expect(await page.getByLabel('Question', { exact: true }).inputValue()).toBe('Does the person you care for have a social worker?')
  await page.getByLabel('Words of answer 3').fill('Not sure')
  await click(page, 'Remove answer 3')
  expect(await page.getByLabel('Words of answer 3').count()).toBe(0)
  await page.getByLabel('Yes, it is required').check()
  await click(page, 'Save to the draft')
  expect(await page.locator('.banner--success').innerText()).toContain('Added “Does the person you care for have a social worker?”')

  // A question shown only when that answer is Yes.
  await click(page, 'Add a question about the referral', 'link')
  await page.getByLabel('One line of text.').check()
  await click(page, 'Continue')
  await page.getByLabel('Question', { exact: true }).fill('What is the social worker’s name?')
  await page.getByLabel('Show this question').selectOption({ label: 'Only if “Does the person you care for have a social worker?” is answered “Yes”' })
  await click(page, 'Save to the draft')
  expect(await page.locator('#questions').innerText()).toContain('Only if “Does the person you care for have a social worker?” is answered “Yes”')

  await click(page, 'Delete “I agree to you storing these details”', 'link')
  await expectNoAxeViolations(page, 'deleting a question')
  await click(page, 'No, keep it', 'link')

  await click(page, 'Preview the draft', 'link')
  expect(await page.getByText('Where did you hear about us?').count()).toBeGreaterThan(0)
  await expectNoAxeViolations(page, 'the preview of a draft')
  await click(page, 'Back to the questions', 'link')
  await click(page, 'Publish')
  expect(await page.locator('.banner--success').innerText()).toContain('Published')
  // The other pages of a Charitylog form: the task list, a group, deleting a group, where referrals go.
  expect(await page.locator('.task-list').innerText()).toMatch(/Form settings[\s\S]*Completed/)
  await click(page, 'Change the group “The people you care for”', 'link')
  await expectNoAxeViolations(page, 'a Charitylog group')
  await click(page, 'Back to the questions', 'link')
  await click(page, 'Delete the group “The people you care for”', 'link')
  await expectNoAxeViolations(page, 'deleting a group')
  await click(page, 'No, keep it', 'link')
  await click(page, 'Where referrals go', 'link')
  await expectNoAxeViolations(page, 'where a Charitylog form’s referrals go')
  await click(page, 'Back to the questions', 'link')
  const live = await context.newPage()
  await live.goto(`${base}/forms/carers-referral`)
  expect(await live.getByText('Where did you hear about us?').count()).toBeGreaterThan(0)
  expect(await live.getByText('For example, your GP').count()).toBe(1)
  expect(await live.getByRole('radio', { name: 'Yes' }).count()).toBe(1)
  expect(await live.getByLabel('What is the social worker’s name?').count()).toBe(1)
  await live.close()
  await page.close()
}, 90_000)
