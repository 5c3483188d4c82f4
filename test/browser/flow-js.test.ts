/**
 * The whole carers-referral flow in Chromium with JavaScript ON (public/app.js): the error summary
 * takes focus and its links focus the fields, people are added and removed in the page (no request)
 * and renumbered as the server numbers them, show_if questions hide and show, and the stored payload
 * has the people the page showed, in order.
 */
import type { Page, Request } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { CharitylogPayload } from '../../src/crm/types.js'
import { REFERENCE_PATTERN } from '../../src/outbox/reference.js'
import { field, navigate } from '../helpers/browser.js'
import { useBrowserApps } from '../helpers/browser-apps.js'

const apps = useBrowserApps({ javaScriptEnabled: true })

const value = (page: Page, name: string) => field(page, name).inputValue()
const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '')
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true })

/** Opens a page with app.js loaded and run (its `defer` script has run by DOMContentLoaded). */
async function open (page: Page, url: string): Promise<void> {
  const response = await page.goto(url)
  expect(response?.status()).toBe(200)
}

/** Runs `act` and returns every request the page made meanwhile (and a moment after). */
async function requestsDuring (page: Page, act: () => Promise<void>): Promise<Request[]> {
  const seen: Request[] = []
  const listener = (r: Request) => { seen.push(r) }
  page.on('request', listener)
  await act()
  await page.waitForTimeout(300)
  page.off('request', listener)
  return seen
}

describe('carers-referral with JavaScript on', () => {
  it('focuses the error summary, adds and removes people in the page, and stores them numbered in order', async () => {
    const page = await apps.context.newPage()
    await open(page, `${apps.base}/forms/carers-referral`)
    const formUrl = page.url()
    await field(page, 'carer[0][first_name]').fill('Ann')
    await field(page, 'carer[0][postcode]').fill('nowhere')
    await field(page, 'cared_for[0][first_name]').fill('Bob')

    const invalid = await navigate(page, () => button(page, 'Send referral').click())
    expect(invalid.status()).toBe(422)
    expect(await page.evaluate(() => document.activeElement?.matches('[data-error-summary]') ?? false)).toBe(true)

    // Summary links move focus to the field (a date's day input; a check box too).
    await page.locator('.error-summary a[href="#f-carer-0-surname"]').click()
    expect(await activeId(page)).toBe('f-carer-0-surname')
    await page.locator('.error-summary a[href="#f-cared_for-0-surname"]').click()
    expect(await activeId(page)).toBe('f-cared_for-0-surname')
    await page.locator('.error-summary a[href="#f-consent"]').click()
    expect(await activeId(page)).toBe('f-consent')
    expect(page.url()).toBe(formUrl)

    // Add another person: in the page, no request.
    const urlBefore = page.url()
    const duringAdd = await requestsDuring(page, () => button(page, 'Add another person').click())
    expect(duringAdd.map((r) => `${r.method()} ${r.url()}`)).toEqual([])
    expect(page.url()).toBe(urlBefore)
    const people = page.locator('#g-cared_for [data-person]')
    expect(await people.count()).toBe(2)
    const second = people.nth(1)
    const names = await second.locator('input, select, textarea').evaluateAll((els) =>
      els.map((el) => [(el as HTMLInputElement).name, (el as HTMLInputElement).value]))
    expect(names).toEqual([
      ['cared_for[1][_]', '1'],
      ['cared_for[1][first_name]', ''],
      ['cared_for[1][surname]', ''],
      ['cared_for[1][date_of_birth][day]', ''],
      ['cared_for[1][date_of_birth][month]', ''],
      ['cared_for[1][date_of_birth][year]', ''],
    ])
    // The copy of a person in error carries none of the errors, and its ids follow its index.
    expect(await second.locator('.error-message, .field--error, .input--error, [aria-invalid]').count()).toBe(0)
    expect(await second.locator('label').evaluateAll((ls) => ls.map((l) => l.getAttribute('for'))))
      .toEqual(['f-cared_for-1-first_name', 'f-cared_for-1-surname', 'f-cared_for-1-date_of_birth', 'f-cared_for-1-date_of_birth-month', 'f-cared_for-1-date_of_birth-year'])
    expect(await second.locator('fieldset').getAttribute('aria-describedby')).toBe('f-cared_for-1-date_of_birth-hint')
    expect(await second.locator('#f-cared_for-1-date_of_birth-hint').count()).toBe(1)
    expect(await second.locator('> legend').textContent()).toBe('Person 2')
    expect(await activeId(page)).toBe('f-cared_for-1-first_name')
    expect(await button(page, 'Remove person 1').isVisible()).toBe(true)
    expect(await button(page, 'Remove person 2').isVisible()).toBe(true)
    await field(page, 'cared_for[1][first_name]').fill('Cat')
    await field(page, 'cared_for[1][surname]').fill('Jones')
    await field(page, 'cared_for[1][date_of_birth][day]').fill('3')
    await field(page, 'cared_for[1][date_of_birth][month]').fill('4')
    await field(page, 'cared_for[1][date_of_birth][year]').fill('1940')

    // Remove the first of two: the one left becomes person 1, index 0, and can no longer be removed.
    const duringRemove = await requestsDuring(page, () => button(page, 'Remove person 1').click())
    expect(duringRemove).toEqual([])
    expect(await people.count()).toBe(1)
    expect(await value(page, 'cared_for[0][first_name]')).toBe('Cat')
    expect(await value(page, 'cared_for[0][date_of_birth][year]')).toBe('1940')
    expect(await field(page, 'cared_for[1][first_name]').count()).toBe(0)
    expect(await page.locator('#f-cared_for-0-first_name').inputValue()).toBe('Cat')
    expect(await people.first().locator('> legend').textContent()).toBe('Person 1')
    expect(await people.first().locator('[data-remove]').isVisible()).toBe(false)
    expect(await people.first().locator('[data-remove]').getAttribute('value')).toBe('remove:cared_for:0')
    expect(await activeId(page)).toBe('f-cared_for-0-first_name')

    await button(page, 'Add another person').click()
    await field(page, 'cared_for[1][first_name]').fill('Dan')
    await field(page, 'cared_for[1][surname]').fill('Brown')

    // Fix the mistakes and send.
    await field(page, 'carer[0][surname]').fill('Jones')
    await field(page, 'carer[0][postcode]').fill('sw1a 2aa')
    await field(page, 'reason').fill('Respite, please')
    await page.getByLabel('I agree to you storing these details').check()
    const sent = await navigate(page, () => button(page, 'Send referral').click())

    expect(sent.status()).toBe(200)
    expect(await page.locator('h1').textContent()).toBe('Thank you, we have your referral')
    const reference = (await page.locator('.reference').textContent()) ?? ''
    expect(reference).toMatch(REFERENCE_PATTERN)
    const { submissions } = apps.examples.app.services.storage
    const row = await submissions.findByReference(reference)
    expect(row?.form_id).toBe('carers-referral')
    expect(row?.quarantined_at, 'a person filling in the form is not taken for a spam bot').toBeNull()
    const payload = row && (await submissions.readPersonalData(row.reference))?.payload as CharitylogPayload | undefined
    expect(payload?.people.map((p) => [p.first_name, p.surname, p.date_of_birth])).toEqual([
      ['Ann', 'Jones', undefined],
      ['Cat', 'Jones', '1940-04-03'],
      ['Dan', 'Brown', undefined],
    ])
    expect(payload?.people[0]).toMatchObject({ postcode: 'SW1A 2AA', referral_role: 1, description: 'Respite, please' })
    expect(payload?.people[1]).toMatchObject({ referral_role: 2, relationships: { 0: 5 } })
    expect(payload?.people[2]).toMatchObject({ referral_role: 2, relationships: { 0: 5 } })
    await page.close()
  })

  it('submits the form when Enter is pressed in a text field beside Remove buttons', async () => {
    const page = await apps.context.newPage()
    await open(page, `${apps.base}/forms/carers-referral`)
    await button(page, 'Add another person').click()
    await field(page, 'cared_for[1][first_name]').fill('Bob')

    let posted = ''
    page.on('request', (r) => { if (r.method() === 'POST') posted = r.postData() ?? '' })
    const response = await navigate(page, () => field(page, 'cared_for[1][first_name]').press('Enter'))

    expect(new URLSearchParams(posted).getAll('_action')).toEqual(['submit'])
    expect(response.status()).toBe(422)
    expect(await page.locator('#g-cared_for [data-person]').count()).toBe(2)
    expect(await value(page, 'cared_for[1][first_name]')).toBe('Bob')
    await page.close()
  })
})

describe('a group that may be empty (all-types "family", min 0) with JavaScript on', () => {
  it('keeps focus when its last person is removed, and adds a person again in the page', async () => {
    const page = await apps.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await open(page, `${apps.fixturesBase}/forms/all-types`)
    await field(page, 'family[0][first_name]').fill('Eve')

    const duringRemove = await requestsDuring(page, () => button(page, 'Remove person 1').click())
    expect(duringRemove).toEqual([])
    expect(await page.locator('#g-family [data-person]').count()).toBe(0)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('value'))).toBe('add:family')

    const duringAdd = await requestsDuring(page, () => button(page, 'Add a family member').click())
    expect(duringAdd).toEqual([])
    expect(await page.locator('#g-family [data-person]').count()).toBe(1)
    expect(await value(page, 'family[0][first_name]')).toBe('')
    expect(await activeId(page)).toBe('f-family-0-first_name')
    expect(errors).toEqual([])
    await page.close()
  })

  it('adds the first person through the server when the page came with none', async () => {
    const page = await apps.context.newPage()
    await open(page, `${apps.fixturesBase}/forms/all-types`)
    await field(page, 'story').fill('Kept')
    // Without JavaScript's help (a click the script does not see), the group is emptied by the server.
    await navigate(page, () => page.evaluate(() => {
      const remove = document.querySelector<HTMLButtonElement>('#g-family [data-remove]')
      const form = remove?.form
      if (!remove || !form) throw new Error('no remove button')
      form.requestSubmit(remove)
    }).then(() => undefined))
    expect(await page.locator('#g-family [data-person]').count()).toBe(0)

    const response = await navigate(page, () => button(page, 'Add a family member').click())
    expect(response.status()).toBe(200)
    expect(await page.locator('#g-family [data-person]').count()).toBe(1)
    expect(await value(page, 'family[0][first_name]')).toBe('')
    expect(await value(page, 'story')).toBe('Kept')
    await page.close()
  })
})

describe('show_if with JavaScript on (all-types form)', () => {
  it('hides a question until its condition holds, and hides the condition hint', async () => {
    const page = await apps.context.newPage()
    await open(page, `${apps.fixturesBase}/forms/all-types`)
    const bestTime = page.locator('#f-best_time')
    const housing = page.locator('#f-housing_detail')

    expect(await bestTime.isVisible()).toBe(false)
    expect(await housing.isVisible()).toBe(false)
    expect(await page.locator('[data-condition-hint]').count()).toBe(2)
    for (const hint of await page.locator('[data-condition-hint]').all()) expect(await hint.isVisible()).toBe(false)

    await page.getByLabel('Email', { exact: true }).check()
    expect(await bestTime.isVisible()).toBe(false)
    await page.getByLabel('Phone', { exact: true }).check()
    expect(await bestTime.isVisible()).toBe(true)
    expect(await page.locator('#f-best_time-cond').isVisible()).toBe(false)
    // The hidden condition is not read out as the input's description either.
    expect(await bestTime.getAttribute('aria-describedby')).toBeNull()
    expect(await page.locator('#f-housing_detail').getAttribute('aria-describedby')).toBeNull()
    await page.getByLabel('Letter', { exact: true }).check()
    expect(await bestTime.isVisible()).toBe(false)

    await page.getByLabel('Housing', { exact: true }).check()
    expect(await housing.isVisible()).toBe(true)
    await page.getByLabel('Money', { exact: true }).check()
    await page.getByLabel('Housing', { exact: true }).uncheck()
    expect(await housing.isVisible()).toBe(false)
    await page.close()
  })

  it('keeps a shown show_if question shown on the 422 page', async () => {
    const page = await apps.context.newPage()
    await open(page, `${apps.fixturesBase}/forms/all-types`)
    await page.getByLabel('Phone', { exact: true }).check()
    await page.locator('#f-best_time').fill('Mornings')
    const response = await navigate(page, () => button(page, 'Send referral').click())
    expect(response.status()).toBe(422)
    expect(await page.locator('#f-best_time').isVisible()).toBe(true)
    expect(await page.locator('#f-best_time').inputValue()).toBe('Mornings')
    expect(await page.locator('#f-housing_detail').isVisible()).toBe(false)
    await page.close()
  })
})
