/**
 * The public form pages through the real app (spec: HTML contract): what the page offers, what an
 * invalid or add/remove post gives back, show_if, a valid post, and bodies no browser would send.
 * A form left to the defaults: form-defaults.test.ts; /healthz: health.test.ts.
 */
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CharitylogPayload } from '../../src/crm/types.js'
import { REFERENCE_ALPHABET } from '../../src/outbox/reference.js'
import { buildTestApp, EXAMPLE_FORMS, FIXTURE_FORMS, form, FORM_HEADERS, type TestApp } from '../helpers/app.js'
import { byId, controls, errorSummary, ids, ownHiddenInputs, peopleShown, tags, title } from '../helpers/html-fragments.js'

type Pairs = Array<[string, string]>

/** The smallest valid answers to the all-types fixture (no family members: its min is 0). */
const VALID: Pairs = [
  ['client[0][_]', '1'], ['client[0][first_name]', 'Alice'], ['client[0][surname]', 'Smith'],
  ['story', 'We need help.'], ['contact_by', 'email'], ['consent', '1'],
]
const REFERENCE = new RegExp(`^/forms/all-types/sent/([${REFERENCE_ALPHABET}]{8})$`)

let t: TestApp
let app: FastifyInstance
beforeEach(async () => {
  t = await buildTestApp({ formsDir: FIXTURE_FORMS })
  app = t.app
})
afterEach(() => t.close())

const get = (url: string) => app.inject({ method: 'GET', url })

/** As a browser does: the form page's own hidden inputs (token, timing...) go back with the answers. */
async function withOwnHidden (pairs: Pairs, id = 'all-types'): Promise<Pairs> {
  const page = await get(`/forms/${id}`)
  const own = page.statusCode === 200 ? ownHiddenInputs(page.body).filter(([n]) => !pairs.some(([k]) => k === n)) : []
  return [...own, ...pairs]
}
const post = async (pairs: Pairs, id = 'all-types') =>
  app.inject({ method: 'POST', url: `/forms/${id}`, headers: FORM_HEADERS, payload: form(await withOwnHidden(pairs, id)) })

/** The Charitylog payload stored for a 303's reference. */
async function stored (location: string | undefined): Promise<CharitylogPayload> {
  const ref = REFERENCE.exec(String(location))?.[1]
  if (!ref) throw new Error(`not a confirmation location: ${location}`)
  const data = await app.services.storage.submissions.readPersonalData(ref)
  if (!data) throw new Error(`no row for ${ref}`)
  return data.payload as CharitylogPayload
}

describe('GET /forms/{id}', () => {
  it('shows the title, intro paragraphs and the language of the form', async () => {
    const res = await get('/forms/all-types')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('<html lang="en">')
    expect(title(res.body)).toBe('Every kind of question')
    expect(res.body).toContain('<h1 class="heading-l">Every kind of question</h1>')
    expect(res.body).toMatch(/<p class="body">A test form\.<\/p>\s*<p class="body">Second paragraph\.<\/p>/)
    expect(errorSummary(res.body)).toEqual([])
  })

  it('renders each one-line type with the right input type, inputmode and autocomplete', async () => {
    const { body } = await get('/forms/all-types')
    expect(controls(body, 'client[0][first_name]')).toEqual([expect.objectContaining({ tag: 'input', type: 'text', autocomplete: 'given-name', id: 'f-client-0-first_name' })])
    expect(controls(body, 'client[0][email]')[0]).toMatchObject({ type: 'email', autocomplete: 'email', spellcheck: 'false' })
    expect(controls(body, 'client[0][phone]')[0]).toMatchObject({ type: 'tel', autocomplete: 'tel' })
    expect(controls(body, 'client[0][postcode]')[0]).toMatchObject({ type: 'text', autocomplete: 'postal-code' })
    expect(controls(body, 'client[0][age]')[0]).toMatchObject({ type: 'text', inputmode: 'decimal' })
    expect(controls(body, 'client[0][age]')[0]).not.toHaveProperty('autocomplete')
  })

  it('renders a date as day, month and year inputs in a fieldset with a legend, with bday-* autocomplete for a bday field', async () => {
    const { body } = await get('/forms/all-types')
    for (const [part, autocomplete] of [['day', 'bday-day'], ['month', 'bday-month'], ['year', 'bday-year']]) {
      expect(controls(body, `client[0][date_of_birth][${part}]`)).toEqual([expect.objectContaining({ type: 'text', inputmode: 'numeric', autocomplete })])
      expect(controls(body, `visit_on[${part}]`)).toEqual([expect.not.objectContaining({ autocomplete: expect.anything() })])
    }
    expect(body).toMatch(/<fieldset class="fieldset" role="group"[^>]*>\s*<legend class="legend">Date of birth <span class="optional">\(optional\)<\/span><\/legend>/)
    expect(body).toMatch(/<fieldset class="fieldset" role="group"[^>]*>\s*<legend class="legend">When can we visit\? <span/)
  })

  it('renders textarea, select, radios, checkboxes, a single checkbox and a hidden field', async () => {
    const { body } = await get('/forms/all-types')
    expect(controls(body, 'story')).toEqual([expect.objectContaining({ tag: 'textarea', id: 'f-story' })])
    expect(controls(body, 'client[0][ethnicity]')).toEqual([expect.objectContaining({ tag: 'select', id: 'f-client-0-ethnicity' })])
    expect(body).toMatch(/<option value="35">White British<\/option>\s*<option value="99">Prefer not to say<\/option>/)
    expect(controls(body, 'contact_by').map((c) => [c.type, c.value, c.id])).toEqual([
      ['radio', 'phone', 'f-contact_by'], ['radio', 'email', 'f-contact_by-1'], ['radio', 'letter', 'f-contact_by-2'],
    ])
    expect(body).toMatch(/<fieldset class="fieldset">\s*<legend class="legend">How should we contact you\?<\/legend>/)
    expect(controls(body, 'needs').map((c) => [c.type, c.value])).toEqual([['checkbox', 'money'], ['checkbox', 'housing'], ['checkbox', 'talk']])
    expect(body).toMatch(/<fieldset class="fieldset">\s*<legend class="legend">What do you need help with\? <span class="optional">/)
    expect(controls(body, 'consent')).toEqual([expect.objectContaining({ type: 'checkbox', value: '1', id: 'f-consent' })])
    expect(body).toContain('<label class="choice__label" for="f-consent">I agree to you storing these details</label>')
    expect(controls(body, 'client[0][secret]')).toEqual([expect.objectContaining({ type: 'hidden', value: 'web-form' })])
  })

  it('puts each person in a fieldset whose legend is the group heading, or "Person n" in a group of many', async () => {
    const { body } = await get('/forms/all-types')
    expect(body).toMatch(/<fieldset class="fieldset person" id="f-client-0-_person" tabindex="-1" data-person>\s*<input type="hidden" name="client\[0\]\[_\]" value="1">\s*<legend class="legend legend--l"><h2 class="heading-m heading--legend">About you<\/h2><\/legend>/)
    expect(byId(body, 'g-family-heading').tag).toBe('h2')
    expect(body).toMatch(/<input type="hidden" name="family\[0\]\[_\]" value="1">\s*<legend class="legend legend--m">Person 1<\/legend>/)
  })

  it('offers add and remove buttons for a group of many, labelled from the form, and labels every control', async () => {
    const { body } = await get('/forms/all-types')
    expect(controls(body, '_action').filter((b) => b.value === 'add:family')).toEqual([expect.objectContaining({ type: 'submit', 'data-add': '' })])
    expect(body).toContain('data-add>Add a family member</button>')
    expect(controls(body, '_action').filter((b) => b.value === 'remove:family:0')).toHaveLength(1)
    expect(controls(body, '_action').filter((b) => b.value?.startsWith('add:client'))).toEqual([])
    // Every visible control has a label (or, for date parts, its own).
    const labelled = new Set(tags(body, 'label').map((l) => /for="([^"]*)"/.exec(l)?.[1]))
    for (const m of body.matchAll(/<(?:input|select|textarea)\b[^>]*>/g)) {
      if (/type="hidden"/.test(m[0])) continue
      expect(labelled, m[0]).toContain(/id="([^"]*)"/.exec(m[0])?.[1])
    }
  })

  it('hides the remove button at the group’s minimum and the add button at its maximum', async () => {
    const ex = await buildTestApp({ formsDir: EXAMPLE_FORMS })
    try {
      const { body } = await ex.app.inject({ method: 'GET', url: '/forms/carers-referral' })
      expect(controls(body, '_action').find((b) => b.value === 'remove:cared_for:0')).toHaveProperty('hidden', '')
      expect(controls(body, '_action').find((b) => b.value === 'add:cared_for')).not.toHaveProperty('hidden')
    } finally {
      await ex.close()
    }
    const full = await post([...VALID, ...[0, 1].map((i): [string, string] => [`family[${i}][first_name]`, `F${i}`]), ['_action', 'add:family']])
    expect(peopleShown(full.body, 'family')).toBe(3)
    expect(controls(full.body, '_action').find((b) => b.value === 'add:family')).toHaveProperty('hidden', '')
    expect(controls(full.body, '_action').find((b) => b.value === 'remove:family:2')).not.toHaveProperty('hidden')
  })

  it('answers an unknown form with the 404 page, for GET and POST', async () => {
    for (const res of [await get('/forms/no-such-form'), await post(VALID, 'no-such-form'), await get('/forms/all-types/sent/ABCDEFGH')]) {
      expect(res.statusCode).toBe(404)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain('<h1 class="heading-l">Page not found</h1>')
      expect(res.body).toContain('<a href="/">All forms</a>')
    }
  })
})

describe('POST with mistakes: the 422 page', () => {
  it('links each error in the summary to an element that exists, says what to do beside it (no label repeated) and whose in the summary, and counts errors in the title', async () => {
    const res = await post([['client[0][_]', '1'], ['client[0][email]', 'not-an-email'], ['family[0][first_name]', 'Bob'], ['visit_on[day]', '31'], ['visit_on[month]', '2'], ['visit_on[year]', '2027']])
    expect(res.statusCode).toBe(422)
    const summary = errorSummary(res.body)
    expect(summary.map(([href]) => href)).toEqual([
      '#f-client-0-first_name', '#f-client-0-surname', '#f-client-0-email', '#f-family-0-surname',
      '#f-story', '#f-contact_by', '#f-visit_on', '#f-consent',
    ])
    const present = ids(res.body)
    const beside = ['Enter a first name', 'Enter a last name', 'Enter an email address in the correct format, like name@example.com', 'Enter a last name',
      'Enter an answer', 'Select an option', 'Enter a real date, like 27 3 2007', 'Tick the box to go on']
    for (const [i, [href]] of summary.entries()) {
      const id = href.slice(1)
      expect(present).toContain(id)
      expect(res.body).toContain(`<p id="${id}-error" class="error-message"><span class="visually-hidden">Error:</span> ${beside[i]}</p>`)
    }
    expect(summary).toContainEqual(['#f-client-0-email', 'Enter an email address in the correct format under ‘About you’, like name@example.com'])
    expect(summary).toContainEqual(['#f-visit_on', '‘When can we visit’: enter a real date, like 27 3 2007'])
    expect(summary).toContainEqual(['#f-family-0-surname', 'Enter a last name for person 1 in ‘Your family’'])
    expect(title(res.body)).toBe('Error (8): Every kind of question')
    expect(byId(res.body, 'f-client-0-email')).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'f-client-0-email-error' })
  })

  it('keeps every answer the visitor gave', async () => {
    const res = await post([
      ['client[0][_]', '1'], ['client[0][first_name]', 'Alice'], ['client[0][postcode]', 'nowhere'], ['client[0][age]', '42'],
      ['client[0][date_of_birth][day]', '1'], ['client[0][date_of_birth][month]', '3'], ['client[0][date_of_birth][year]', '1980'],
      ['client[0][ethnicity]', '99'], ['family[0][first_name]', 'Bob'], ['family[0][surname]', 'Smith'],
      ['story', 'Line one\nLine two'], ['contact_by', 'letter'], ['needs', 'money'], ['needs', 'talk'], ['newsletter', '1'],
    ])
    expect(res.statusCode).toBe(422)
    const b = res.body
    expect(controls(b, 'client[0][first_name]')[0]?.value).toBe('Alice')
    expect(controls(b, 'client[0][postcode]')[0]?.value).toBe('nowhere')
    expect(controls(b, 'client[0][age]')[0]?.value).toBe('42')
    expect(['day', 'month', 'year'].map((p) => controls(b, `client[0][date_of_birth][${p}]`)[0]?.value)).toEqual(['1', '3', '1980'])
    expect(b).toContain('<option value="99" selected>Prefer not to say</option>')
    expect(controls(b, 'family[0][first_name]')[0]?.value).toBe('Bob')
    expect(b).toContain('name="story" rows="5">Line one\nLine two</textarea>')
    expect(controls(b, 'contact_by').map((c) => 'checked' in c)).toEqual([false, false, true])
    expect(controls(b, 'needs').map((c) => 'checked' in c)).toEqual([true, false, true])
    expect(controls(b, 'newsletter')[0]).toHaveProperty('checked', '')
    expect(controls(b, 'consent')[0]).not.toHaveProperty('checked')
    expect(errorSummary(b).map(([h]) => h)).toEqual(['#f-client-0-surname', '#f-client-0-postcode', '#f-consent'])
  })

  it('gives back a too-long answer whole, with an error, never cut short', async () => {
    const long = 'Alexandrina Victoria Regina'
    const res = await post(VALID.map(([k, v]): [string, string] => [k, k === 'client[0][first_name]' ? long : v]))
    expect(res.statusCode).toBe(422)
    expect(controls(res.body, 'client[0][first_name]')[0]?.value).toBe(long)
    expect(errorSummary(res.body)).toEqual([['#f-client-0-first_name', 'Enter 20 characters or fewer under ‘About you’']])
  })

  it('escapes the visitor’s answers: markup and quotes come back as text', async () => {
    const evil = '<script>alert(1)</script>'
    const quotes = 'He said "hi" & it\'s <b>done</b>'
    const res = await post([['client[0][_]', '1'], ['client[0][first_name]', evil], ['client[0][surname]', quotes], ['story', quotes], ['best_time', '"><img src=x onerror=alert(1)>'], ['contact_by', '"><script>x</script>']])
    expect(res.statusCode).toBe(422)
    expect(res.body).not.toContain('<script>alert(1)')
    expect(res.body).not.toContain('<b>done</b>')
    expect(res.body).not.toContain('<img src=x')
    expect(res.body).not.toContain('<script>x')
    expect(res.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"')
    expect(res.body).toContain('value="He said &quot;hi&quot; &amp; it&#39;s &lt;b&gt;done&lt;/b&gt;"')
    expect(res.body).toContain('>He said &quot;hi&quot; &amp; it&#39;s &lt;b&gt;done&lt;/b&gt;</textarea>')
    expect(res.body).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"')
  })

  it('says so on the page when more people are sent than the group allows, instead of dropping them', async () => {
    const family = [0, 1, 2, 3].flatMap((i): Pairs => [[`family[${i}][first_name]`, `Name${i}`], [`family[${i}][surname]`, 'Smith']])
    const res = await post([...VALID, ...family])
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#g-family', '‘Your family’: you can tell us about 3 people at most. Remove the extra ones']])
    expect(byId(res.body, 'g-family').tag).toBe('section')
    expect(res.body).toContain('<span class="visually-hidden">Error:</span> ‘Your family’: you can tell us about 3 people at most.')
    expect(peopleShown(res.body, 'family')).toBe(4)
    expect(controls(res.body, 'family[3][first_name]')[0]?.value).toBe('Name3')
  })

  it('refuses a second person in a group of one', async () => {
    const res = await post([...VALID, ['client[1][first_name]', 'Eve'], ['client[1][surname]', 'Twin']])
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#g-client', '‘About you’: you can tell us about 1 person at most. Remove the extra ones']])
  })

  it('asks for the missing people when fewer than the minimum are sent', async () => {
    const ex = await buildTestApp({ formsDir: EXAMPLE_FORMS })
    try {
      const res = await ex.app.inject({
        method: 'POST',
        url: '/forms/carers-referral',
        headers: FORM_HEADERS,
        payload: form({ 'carer[0][first_name]': 'Alice', 'carer[0][surname]': 'Smith', 'carer[0][postcode]': 'HR9 7US', reason: 'Help', consent: '1' }),
      })
      expect(res.statusCode).toBe(422)
      expect(errorSummary(res.body)).toEqual([['#f-cared_for-0-first_name', 'Enter a first name for person 1 in ‘The people you care for’'], ['#f-cared_for-0-surname', 'Enter a last name for person 1 in ‘The people you care for’']])
      expect(peopleShown(res.body, 'cared_for')).toBe(1)
    } finally {
      await ex.close()
    }
  })
})

describe('adding and removing people without JavaScript', () => {
  const withFamily: Pairs = [...VALID, ['family[0][first_name]', 'Bob'], ['family[0][surname]', 'Smith'], ['family[1][first_name]', 'Carol'], ['family[1][surname]', 'Jones']]

  it('adds a blank person with add:group, keeping the answers and showing no errors', async () => {
    const res = await post([['client[0][_]', '1'], ['client[0][first_name]', 'Alice'], ['family[0][_]', '1'], ['family[0][first_name]', 'Bob'], ['_action', 'add:family']])
    expect(res.statusCode).toBe(200)
    expect(peopleShown(res.body, 'family')).toBe(2)
    expect(controls(res.body, 'family[0][first_name]')[0]?.value).toBe('Bob')
    expect(controls(res.body, 'family[1][first_name]')[0]?.value).toBe('')
    expect(controls(res.body, 'client[0][first_name]')[0]?.value).toBe('Alice')
    expect(res.body).toContain('<legend class="legend legend--m">Person 2</legend>')
    expect(errorSummary(res.body)).toEqual([])
    expect(res.body).not.toContain('error-message')
    expect(title(res.body)).toBe('Every kind of question')
  })

  it('removes the chosen person with remove:group:index, keeping the others’ answers in order', async () => {
    const res = await post([...withFamily, ['_action', 'remove:family:0']])
    expect(res.statusCode).toBe(200)
    expect(peopleShown(res.body, 'family')).toBe(1)
    expect(controls(res.body, 'family[0][first_name]')[0]?.value).toBe('Carol')
    expect(controls(res.body, 'family[0][surname]')[0]?.value).toBe('Jones')
    expect(controls(res.body, 'story')[0]).toBeDefined()
    expect(res.body).toContain('>We need help.</textarea>')
    expect(res.body).not.toContain('error-message')
  })

  it('does not add beyond the maximum nor remove below the minimum', async () => {
    const three: Pairs = [0, 1, 2].map((i) => [`family[${i}][first_name]`, `F${i}`])
    const atMax = await post([...VALID, ...three, ['_action', 'add:family']])
    expect(atMax.statusCode).toBe(200)
    expect(peopleShown(atMax.body, 'family')).toBe(3)
    const single = await post([...VALID, ['_action', 'remove:client:0']])
    expect(single.statusCode).toBe(200)
    expect(peopleShown(single.body, 'client')).toBe(1)
    expect(controls(single.body, 'client[0][first_name]')[0]?.value).toBe('Alice')
  })

  it('changes nothing for an add or remove naming a group that does not exist or a person who is not there', async () => {
    for (const action of ['add:strangers', 'remove:family:7', 'remove:strangers:0']) {
      const res = await post([...withFamily, ['_action', action]])
      expect(res.statusCode).toBe(200)
      expect(peopleShown(res.body, 'family')).toBe(2)
      expect(res.body).not.toContain('error-message')
    }
  })

  it('treats any other _action (the Send button) as a submission', async () => {
    for (const action of ['submit', 'explode']) {
      expect((await post([...withFamily, ['_action', action]])).statusCode).toBe(303)
    }
  })
})

describe('show_if', () => {
  it('neither checks nor stores a field whose condition does not hold', async () => {
    const res = await post([...VALID, ['best_time', 'x'.repeat(500)], ['housing_detail', 'Damp']])
    expect(res.statusCode).toBe(303)
    const lead = (await stored(res.headers.location)).people[0]!
    expect(String(lead.description)).not.toContain('Best time')
    expect(String(lead.description)).not.toContain('Damp')
  })

  it('checks a field whose condition holds', async () => {
    const res = await post([...VALID.filter(([k]) => k !== 'contact_by'), ['contact_by', 'phone'], ['best_time', 'x'.repeat(201)]])
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#f-best_time', 'Enter 200 characters or fewer']])
  })

  it('stores a field whose condition holds, including an in: condition met by one of several checkboxes', async () => {
    const res = await post([...VALID.filter(([k]) => k !== 'contact_by'), ['contact_by', 'phone'], ['best_time', 'Evenings'], ['needs', 'money'], ['needs', 'housing'], ['housing_detail', 'Damp flat']])
    expect(res.statusCode).toBe(303)
    expect((await stored(res.headers.location)).people[0]!.description).toBe(
      'We need help.\n\nHow should we contact you?: Phone\nBest time to call: Evenings\nWhat do you need help with?: Money, Housing\nTell us about your housing: Damp flat')
  })

  it('says the condition in the hint, for visitors without JavaScript', async () => {
    const { body } = await get('/forms/all-types')
    expect(body).toContain('<div id="f-best_time-cond" class="hint hint--condition" data-condition-hint>Only answer this if your answer to ‘How should we contact you’ was ‘Phone’.</div>')
    expect(byId(body, 'f-best_time')['aria-describedby']).toBe('f-best_time-cond')
  })
})

describe('a valid submission', () => {
  it('redirects 303 to /forms/{id}/sent/{reference}, an 8-character reference without look-alike characters', async () => {
    const res = await post(VALID)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toMatch(REFERENCE)
    const ref = REFERENCE.exec(String(res.headers.location))![1]!
    expect(ref).not.toMatch(/[01ILO]/)
    expect(await app.services.storage.submissions.findByReference(ref)).toMatchObject({ form_id: 'all-types', destination: 'charitylog' })
  })

  it('gives a different reference to each submission', async () => {
    const refs = new Set<string>()
    for (let i = 0; i < 5; i++) refs.add(String((await post(VALID)).headers.location))
    expect(refs.size).toBe(5)
  })

  it('shows the form’s confirmation heading, body and the reference on the confirmation page', async () => {
    const location = String((await post(VALID)).headers.location)
    const ref = location.split('/').at(-1)!
    const res = await get(location)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(title(res.body)).toBe('All done – Every kind of question')
    expect(res.body).toContain('<h1 class="panel__title">All done</h1>')
    expect(res.body).toContain(`<strong class="reference">${ref}</strong>`)
    expect(res.body).toMatch(/<p class="body">We will call you\.<\/p>\s*<p class="body">Thank you\.<\/p>/)
    // A reference read out over the phone may be typed in lower case.
    expect((await get(location.toLowerCase())).statusCode).toBe(200)
  })

  it('does not show a reference under another form’s address', async () => {
    const ref = String((await post(VALID)).headers.location).split('/').at(-1)!
    expect((await get(`/forms/welsh-form/sent/${ref}`)).statusCode).toBe(404)
  })

  it('ignores fields the form does not have', async () => {
    const res = await post([...VALID, ['favourite_colour', 'blue'], ['client[0][shoe_size]', '9'], ['strangers[0][first_name]', 'Mallory']])
    expect(res.statusCode).toBe(303)
    const text = JSON.stringify(await stored(res.headers.location))
    expect(text).not.toMatch(/blue|shoe|Mallory|favourite/)
  })

  it('sends the hidden field’s own value, whatever the client sent back', async () => {
    const res = await post([...VALID, ['client[0][secret]', 'tampered']])
    expect((await stored(res.headers.location)).people[0]!.secret).toBe('web-form')
  })
})

describe('bodies no browser would send never cause a 500', () => {
  const send = (payload: string | Buffer, contentType: string) =>
    app.inject({ method: 'POST', url: '/forms/all-types', headers: { 'content-type': contentType }, payload })

  it('answers a JSON body with the form page, treating numbers and objects as no answer', async () => {
    const res = await send(JSON.stringify({ 'client[0][first_name]': 5, 'client[0][date_of_birth][day]': 1, needs: [1, { a: 2 }], contact_by: { x: 1 }, story: ['ok'] }), 'application/json')
    expect(res.statusCode).toBe(422)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(errorSummary(res.body).length).toBeGreaterThan(0)
  })

  it('refuses a JSON body with __proto__ with a kind page', async () => {
    const res = await send('{"__proto__": {"polluted": "yes"}, "story": "x"}', 'application/json')
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('Sorry, we could not read that')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('reads __proto__ and constructor keys in a form body as ordinary unknown fields', async () => {
    const res = await send(`${form(await withOwnHidden(VALID))}&__proto__=x&__proto__[polluted]=yes&constructor=1&constructor[prototype][polluted]=yes&client[0][__proto__]=1`, 'application/x-www-form-urlencoded')
    expect(res.statusCode).toBe(303)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('survives invalid percent-encoding', async () => {
    const res = await send(`${form(await withOwnHidden(VALID.filter(([k]) => k !== 'story')))}&%%%=%ZZ&story=%E0%A4%A%FF`, 'application/x-www-form-urlencoded')
    expect(res.statusCode).toBe(303)
    expect((await stored(res.headers.location)).people[0]!.description).toBeTypeOf('string')
  })

  it('takes the first of repeated values where one is expected', async () => {
    const res = await post([...VALID, ['client[0][first_name]', 'Second'], ['contact_by', 'phone'], ['consent', '1'], ['_action', 'submit'], ['_action', 'add:family'], ['visit_on[day]', '1'], ['visit_on[day]', '2'], ['visit_on[month]', '3'], ['visit_on[year]', '2027']])
    expect(res.statusCode).toBe(303)
    const lead = (await stored(res.headers.location)).people[0]!
    expect(lead.first_name).toBe('Alice')
    expect(String(lead.description)).toContain('How should we contact you?: Email')
    expect(String(lead.description)).toContain('When can we visit?: 1 March 2027')
  })

  it('answers 1000 person indexes with an error on the page, quickly', async () => {
    const many: Pairs = Array.from({ length: 1000 }, (_, i) => [`family[${i}][first_name]`, 'X'])
    const started = Date.now()
    const res = await post([...VALID, ...many])
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)[0]).toEqual(['#g-family', '‘Your family’: you can tell us about 3 people at most. Remove the extra ones'])
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('answers a body over the limit with the 413 page', async () => {
    const res = await send(form(await withOwnHidden([...VALID, ['story', 'x'.repeat(300 * 1024)]])), 'application/x-www-form-urlencoded')
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('That was too much to send at once')
  })

  it('answers other content types with a kind page, not a crash', async () => {
    const plain = await send('story=hello', 'text/plain')
    expect(plain.statusCode).toBe(422)
    const multipart = await send('--x\r\n\r\n', 'multipart/form-data; boundary=x')
    expect(multipart.statusCode).toBe(415)
    expect(multipart.body).toContain('Sorry, we could not read that')
  })
})
