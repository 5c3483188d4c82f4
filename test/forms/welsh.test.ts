/** A form with `language: cy`: the page, its errors and its confirmation speak Welsh (spec: Top level). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, FIXTURE_FORMS, form, FORM_HEADERS, type TestApp } from '../helpers/app.js'
import { controls, errorSummary, ownHiddenInputs, title } from '../helpers/html-fragments.js'

type Pairs = Array<[string, string]>

let t: TestApp
beforeEach(async () => { t = await buildTestApp({ formsDir: FIXTURE_FORMS }) })
afterEach(() => t.close())

async function post (pairs: Pairs) {
  const page = await t.app.inject({ method: 'GET', url: '/forms/welsh-form' })
  return t.app.inject({ method: 'POST', url: '/forms/welsh-form', headers: FORM_HEADERS, payload: form([...ownHiddenInputs(page.body), ...pairs]) })
}

describe('a Welsh form', () => {
  it('declares lang="cy" and uses Welsh for the button, optional marker and date parts', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/forms/welsh-form' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<html lang="cy">')
    expect(title(res.body)).toBe('Atgyfeirio eich hun')
    expect(res.body).toContain('Neidio i’r prif gynnwys')
    expect(res.body).toContain('class="button">Anfon yr atgyfeiriad</button>')
    expect(res.body).toContain('<legend class="legend">Dyddiad geni <span class="optional">(dewisol)</span></legend>')
    expect(res.body).toContain('Er enghraifft, 27 3 2007')
    expect(res.body).toMatch(/>Diwrnod<\/label>[\s\S]*>Mis<\/label>[\s\S]*>Blwyddyn<\/label>/)
    expect(res.body).not.toMatch(/Send referral|\(optional\)|>Day</)
  })

  it('shows Welsh error messages, summary title and page title', async () => {
    const res = await post([['client[0][date_of_birth][day]', '31'], ['client[0][date_of_birth][month]', '2'], ['client[0][date_of_birth][year]', '1990']])
    expect(res.statusCode).toBe(422)
    expect(title(res.body)).toBe('Gwall (4): Atgyfeirio eich hun')
    expect(res.body).toContain('<h2 class="error-summary__title">Mae problem wedi codi</h2>')
    expect(errorSummary(res.body)).toEqual([
      ['#f-client-0-first_name', 'Rhowch enw cyntaf o dan ‘Amdanoch chi’'],
      ['#f-client-0-surname', 'Rhowch cyfenw o dan ‘Amdanoch chi’'],
      ['#f-client-0-date_of_birth', 'Rhowch ddyddiad go iawn o dan ‘Amdanoch chi’, fel 27 3 2007'],
      ['#f-reason', '‘Sut gallwn ni helpu’: rhowch ateb'],
    ])
    expect(res.body).toContain('<span class="visually-hidden">Gwall:</span> Rhowch enw cyntaf</p>')
    expect(res.body).not.toContain('There is a problem')
  })

  it('names missing date parts and a date not in the past in Welsh', async () => {
    const partial = await post([['client[0][first_name]', 'Siân'], ['client[0][surname]', 'Jones'], ['reason', 'Help'], ['client[0][date_of_birth][month]', '2']])
    expect(errorSummary(partial.body)).toEqual([['#f-client-0-date_of_birth', 'Rhaid i’r dyddiad gynnwys diwrnod a blwyddyn o dan ‘Amdanoch chi’']])
    const future = await post([['client[0][first_name]', 'Siân'], ['client[0][surname]', 'Jones'], ['reason', 'Help'],
      ['client[0][date_of_birth][day]', '1'], ['client[0][date_of_birth][month]', '1'], ['client[0][date_of_birth][year]', '2030']])
    expect(errorSummary(future.body)).toEqual([['#f-client-0-date_of_birth', 'Rhaid i’r dyddiad fod yn y gorffennol o dan ‘Amdanoch chi’']])
    expect(controls(future.body, 'client[0][first_name]')[0]?.value).toBe('Siân')
  })

  it('confirms in Welsh, with the reference, and keeps dates in Welsh in the staff copy', async () => {
    const res = await post([['client[0][first_name]', 'Siân'], ['client[0][surname]', 'Jones'], ['reason', 'Help, os gwelwch yn dda'],
      ['client[0][date_of_birth][day]', '1'], ['client[0][date_of_birth][month]', '3'], ['client[0][date_of_birth][year]', '1990']])
    expect(res.statusCode).toBe(303)
    const location = String(res.headers.location)
    const ref = location.split('/').at(-1)!
    const page = await t.app.inject({ method: 'GET', url: location })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('<html lang="cy">')
    expect(title(page.body)).toBe('Atgyfeiriad wedi’i anfon – Atgyfeirio eich hun')
    expect(page.body).toContain('<h1 class="panel__title">Atgyfeiriad wedi’i anfon</h1>')
    expect(page.body).toContain(`Eich cyfeirnod<br><strong class="reference">${ref}</strong>`)
    expect(page.body).toContain('Diolch. Mae eich atgyfeiriad gennym a byddwn yn cysylltu â chi.')
    const stored = (await t.app.services.storage.submissions.readPersonalData(ref))!
    expect(stored.answers[0]?.items).toContainEqual({ label: 'Dyddiad geni', answer: '1 Mawrth 1990' })
    expect(stored.payload).toMatchObject({ attendee: { fields: { date_of_birth: '1990-03-01' } }, referral: { referral_reason: 'Help, os gwelwch yn dda' } })
  })

  it('says "page not found" in Welsh for an unknown reference of a Welsh form', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/forms/welsh-form/sent/ABCDEFGH' })
    expect(res.statusCode).toBe(404)
    expect(res.body).toContain('<html lang="cy">')
    expect(res.body).toContain('Heb ddod o hyd i’r dudalen')
  })
})
