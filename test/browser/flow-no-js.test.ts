/**
 * The whole carers-referral flow in Chromium with JavaScript OFF: every step is a real form post
 * (mistakes → 422, "Add another person" and "Remove" round trips, the fixed submission → 303 →
 * confirmation), then the stored row. Also: Enter in a text field submits, it does not "Remove".
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { CharitylogPayload } from '../../src/crm/types.js'
import { REFERENCE_PATTERN } from '../../src/outbox/reference.js'
import { field, navigate } from '../helpers/browser.js'
import { useBrowserApps } from '../helpers/browser-apps.js'

const apps = useBrowserApps({ javaScriptEnabled: false })

const value = (page: Page, name: string) => field(page, name).inputValue()

const click = (page: Page, name: string) => navigate(page, () => page.getByRole('button', { name, exact: true }).click())

/** Every error summary link's target, and whether an element with that id exists. */
async function summaryTargets (page: Page): Promise<Array<{ href: string, exists: boolean }>> {
  return page.locator('.error-summary a').evaluateAll((links) =>
    links.map((a) => {
      const href = a.getAttribute('href') ?? ''
      return { href, exists: href.startsWith('#') && document.getElementById(href.slice(1)) !== null }
    }))
}

describe('carers-referral with JavaScript off', () => {
  it('explains mistakes, adds and removes people by round trips, and stores the fixed referral', async () => {
    const page = await apps.context.newPage()
    const first = await page.goto(`${apps.base}/forms/carers-referral`)
    expect(first?.status()).toBe(200)
    expect(await page.evaluate(() => document.querySelector('[data-error-summary]'))).toBeNull()

    // Mistakes: no last name, a bad email and postcode, an impossible date of birth, no consent.
    await field(page, 'carer[0][first_name]').fill('Ann')
    await field(page, 'carer[0][email]').fill('ann-at-example')
    await field(page, 'carer[0][phone]').fill('01632 960 001')
    await field(page, 'carer[0][postcode]').fill('not a postcode')
    await field(page, 'carer[0][ethnicity]').selectOption('35')
    await field(page, 'cared_for[0][first_name]').fill('Bob')
    await field(page, 'cared_for[0][surname]').fill('Smith')
    await field(page, 'cared_for[0][date_of_birth][day]').fill('31')
    await field(page, 'cared_for[0][date_of_birth][month]').fill('2')
    await field(page, 'cared_for[0][date_of_birth][year]').fill('1950')
    await field(page, 'reason').fill('I need a break <sometimes> & some advice')
    await page.getByLabel('Friend or family').check()

    const invalid = await click(page, 'Send referral')
    expect(invalid.status()).toBe(422)
    expect(await page.title()).toMatch(/^Error \(5\): Refer yourself for carer support$/)
    expect(await page.locator('.error-summary').count()).toBe(1)
    const targets = await summaryTargets(page)
    expect(targets.map((t) => t.href)).toEqual([
      '#f-carer-0-surname',
      '#f-carer-0-email',
      '#f-carer-0-postcode',
      '#f-cared_for-0-date_of_birth',
      '#f-consent',
    ])
    expect(targets.every((t) => t.exists), JSON.stringify(targets)).toBe(true)
    expect(await page.locator('#f-carer-0-email').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#f-carer-0-email').getAttribute('aria-describedby')).toBe('f-carer-0-email-error')
    expect(await page.locator('#f-carer-0-email-error').textContent()).toContain('Enter an email address in the correct format, like name@example.com')
    // Answers kept, the awkward characters too.
    expect(await value(page, 'carer[0][first_name]')).toBe('Ann')
    expect(await value(page, 'carer[0][email]')).toBe('ann-at-example')
    expect(await value(page, 'carer[0][ethnicity]')).toBe('35')
    expect(await value(page, 'cared_for[0][date_of_birth][day]')).toBe('31')
    expect(await value(page, 'reason')).toBe('I need a break <sometimes> & some advice')
    expect(await page.getByLabel('Friend or family').isChecked()).toBe(true)

    // "Add another person" without JavaScript: a round trip, one more person, answers kept, no errors shown.
    const added = await click(page, 'Add another person')
    expect(added.status()).toBe(200)
    expect(await page.title()).toBe('Refer yourself for carer support')
    expect(await page.locator('.error-summary, .error-message, [aria-invalid]').count()).toBe(0)
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(2)
    expect(await value(page, 'carer[0][email]')).toBe('ann-at-example')
    expect(await value(page, 'cared_for[0][first_name]')).toBe('Bob')
    expect(await value(page, 'reason')).toBe('I need a break <sometimes> & some advice')
    expect(await value(page, 'cared_for[1][first_name]')).toBe('')
    // The page comes back at the new person, not at the top (a phone would be ~1,100 px away), with the
    // keyboard focus there, so a screen reader goes on from the person added.
    expect(new URL(page.url()).hash).toBe('#f-cared_for-1-_person')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-cared_for-1-_person')
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(300)
    expect((await page.locator('#f-cared_for-1-_person').boundingBox())!.y).toBeLessThan(50)
    expect(await page.locator('#g-cared_for [data-person] > legend').allTextContents()).toEqual(['Person 1', 'Person 2'])
    expect(await page.getByRole('button', { name: 'Remove person 1' }).isVisible()).toBe(true)
    await field(page, 'cared_for[1][first_name]').fill('Cat')
    await field(page, 'cared_for[1][surname]').fill('Jones')

    await click(page, 'Add another person')
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(3)
    expect(await value(page, 'cared_for[1][first_name]')).toBe('Cat')
    await field(page, 'cared_for[2][first_name]').fill('Dan')
    await field(page, 'cared_for[2][surname]').fill('Brown')

    // Remove the middle person: the others close up, answers kept, still no errors.
    const removed = await click(page, 'Remove person 2')
    expect(removed.status()).toBe(200)
    expect(new URL(page.url()).hash).toBe('#g-cared_for')
    expect(await page.locator('.error-summary, .error-message').count()).toBe(0)
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(2)
    expect(await value(page, 'cared_for[0][first_name]')).toBe('Bob')
    expect(await value(page, 'cared_for[1][first_name]')).toBe('Dan')
    expect(await value(page, 'cared_for[1][surname]')).toBe('Brown')

    // Fix the mistakes and send.
    await field(page, 'carer[0][surname]').fill('Jones')
    await field(page, 'carer[0][email]').fill('ann@example.com')
    await field(page, 'carer[0][postcode]').fill('hr97us')
    await field(page, 'cared_for[0][date_of_birth][day]').fill('28')
    await page.getByLabel('I agree to you storing these details').check()
    const sent = await click(page, 'Send referral')

    expect(sent.status()).toBe(200)
    const url = new URL(page.url())
    expect(url.pathname).toMatch(/^\/forms\/carers-referral\/sent\/[A-Z0-9]{8}$/)
    expect(await page.locator('h1').textContent()).toBe('Thank you, we have your referral')
    const reference = (await page.locator('.reference').textContent()) ?? ''
    expect(reference).toMatch(REFERENCE_PATTERN)
    expect(url.pathname.endsWith(reference)).toBe(true)

    const { submissions } = apps.examples.app.services.storage
    const row = await submissions.findByReference(reference)
    expect(row?.form_id).toBe('carers-referral')
    expect(row?.quarantined_at, 'a person filling in the form is not taken for a spam bot').toBeNull()
    const payload = row && (await submissions.readPersonalData(row.reference))?.payload as CharitylogPayload | undefined
    expect(payload?.people.map((p) => [p.first_name, p.surname])).toEqual([['Ann', 'Jones'], ['Bob', 'Smith'], ['Dan', 'Brown']])
    expect(payload?.people[0]).toMatchObject({ email: 'ann@example.com', tel1: '01632 960 001', postcode: 'HR9 7US', ethnicity: '35' })
    expect(payload?.people[1]).toMatchObject({ date_of_birth: '1950-02-28', relationships: { 0: 5 } })
    await page.close()
  })

  it('shows a show_if question with its condition in the hint', async () => {
    const page = await apps.context.newPage()
    await page.goto(`${apps.fixturesBase}/forms/all-types`)
    expect(await page.locator('#f-best_time').isVisible()).toBe(true)
    const hint = page.locator('#f-best_time-cond')
    expect(await hint.isVisible()).toBe(true)
    expect(await hint.textContent()).toBe('Only answer this if your answer to ‘How should we contact you’ was ‘Phone’.')
    expect(await page.locator('#f-best_time').getAttribute('aria-describedby')).toBe('f-best_time-cond')
    await page.close()
  })

  it('submits the form when Enter is pressed in a text field on a page with Remove buttons', async () => {
    const page = await apps.context.newPage()
    await page.goto(`${apps.base}/forms/carers-referral`)
    await click(page, 'Add another person')
    expect(await page.getByRole('button', { name: 'Remove person 1' }).isVisible()).toBe(true)
    await field(page, 'cared_for[0][first_name]').fill('Bob')

    let posted = ''
    page.on('request', (r) => { if (r.method() === 'POST') posted = r.postData() ?? '' })
    const response = await navigate(page, () => field(page, 'cared_for[0][first_name]').press('Enter'))

    expect(new URLSearchParams(posted).getAll('_action')).toEqual(['submit'])
    expect(response.status()).toBe(422)
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(2)
    expect(await value(page, 'cared_for[0][first_name]')).toBe('Bob')
    await page.close()
  })
})
