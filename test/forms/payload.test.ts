/**
 * The exact CRM payload stored for a submission (spec: Destinations), read back decrypted from the
 * store, for both example forms and for the mapping rules the examples do not reach.
 */
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { CrmPayload } from '../../src/crm/types.js'
import type { ReadableSection } from '../../src/storage/index.js'
import { buildTestApp, FIXTURE_FORMS, form, FORM_HEADERS, tempDir, type TestApp } from '../helpers/app.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'

type Pairs = Array<[string, string]>

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function start (formsDir?: string): Promise<TestApp> {
  const t = await buildTestApp(formsDir === undefined ? {} : { formsDir })
  cleanups.push(() => t.close())
  return t
}

/** Submits like a browser (with the page's own hidden inputs) and returns what was stored. */
async function submit (t: TestApp, id: string, pairs: Pairs): Promise<{ payload: CrmPayload, answers: ReadableSection[] }> {
  const page = await t.app.inject({ method: 'GET', url: `/forms/${id}` })
  const res = await t.app.inject({ method: 'POST', url: `/forms/${id}`, headers: FORM_HEADERS, payload: form([...ownHiddenInputs(page.body), ...pairs]) })
  if (res.statusCode !== 303) throw new Error(`expected 303, got ${res.statusCode}: ${/error-summary__list">(.*?)<\/ul>/s.exec(res.body)?.[1] ?? ''}`)
  const ref = String(res.headers.location).split('/').at(-1)!
  const { submissions } = t.app.services.storage
  expect(await submissions.findByReference(ref)).toBeDefined()
  return (await submissions.readPersonalData(ref))!
}

/** A forms folder holding one form file. */
function formsDirWith (file: string, yaml: string): string {
  const dir = tempDir('rf-forms-')
  writeFileSync(path.join(dir, file), yaml)
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('Charitylog: carers-referral', () => {
  const answers: Pairs = [
    ['carer[0][first_name]', 'Alice'], ['carer[0][surname]', 'Smith'], ['carer[0][email]', 'alice@example.org'],
    ['carer[0][phone]', '01632 960001'], ['carer[0][address1]', '1 High Street'], ['carer[0][postcode]', 'hr97us'],
    ['carer[0][ethnicity]', '35'],
    ['cared_for[0][first_name]', 'Barry'], ['cared_for[0][surname]', 'Smith'],
    ['cared_for[0][date_of_birth][day]', '1'], ['cared_for[0][date_of_birth][month]', '3'], ['cared_for[0][date_of_birth][year]', '1940'],
    ['cared_for[1][first_name]', 'Cara'], ['cared_for[1][surname]', 'Jones'],
    ['reason', 'I look after my dad & my aunt.'], ['heard_from', 'GP'], ['consent', '1'],
  ]

  it('stores the people in order, with source, roles, org types, relationships, project and description', async () => {
    const t = await start()
    const { payload } = await submit(t, 'carers-referral', answers)
    expect(payload).toEqual({
      destination: 'charitylog',
      people: [
        {
          first_name: 'Alice',
          surname: 'Smith',
          email: 'alice@example.org',
          tel1: '01632 960001',
          address1: '1 High Street',
          postcode: 'HR9 7US',
          ethnicity: '35',
          org_type_id: 7,
          source: 1,
          referral_role: 1,
          project: 7,
          description: 'I look after my dad & my aunt.\n\nHow did you hear about us?: GP or health worker',
        },
        { first_name: 'Barry', surname: 'Smith', date_of_birth: '1940-03-01', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
        { first_name: 'Cara', surname: 'Jones', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
      ],
    })
  })

  it('keeps a readable copy for staff with every answer as the visitor saw it, the consent included', async () => {
    const t = await start()
    const { answers: readable } = await submit(t, 'carers-referral', answers)
    expect(readable).toEqual([
      {
        heading: 'About you',
        items: [
          { label: 'First name', answer: 'Alice' }, { label: 'Last name', answer: 'Smith' },
          { label: 'Email address', answer: 'alice@example.org' }, { label: 'Phone number', answer: '01632 960001' },
          { label: 'Address line 1', answer: '1 High Street' }, { label: 'Postcode', answer: 'HR9 7US' },
          { label: 'Ethnicity', answer: 'White British' },
        ],
      },
      { heading: 'The people you care for: Person 1', items: [{ label: 'First name', answer: 'Barry' }, { label: 'Last name', answer: 'Smith' }, { label: 'Date of birth', answer: '1 March 1940' }] },
      { heading: 'The people you care for: Person 2', items: [{ label: 'First name', answer: 'Cara' }, { label: 'Last name', answer: 'Jones' }] },
      {
        heading: 'Refer yourself for carer support',
        items: [
          { label: 'How can we help?', answer: 'I look after my dad & my aunt.' },
          { label: 'How did you hear about us?', answer: 'GP or health worker' },
          { label: 'I agree to you storing these details', answer: 'Yes' },
        ],
      },
    ])
  })

  it('leaves optional answers out, and still sends a description line for an answer without to', async () => {
    const t = await start()
    const { payload } = await submit(t, 'carers-referral', [
      ['carer[0][first_name]', 'Alice'], ['carer[0][surname]', 'Smith'], ['carer[0][postcode]', 'HR9 7US'], ['carer[0][email]', '  '],
      ['cared_for[0][first_name]', 'Barry'], ['cared_for[0][surname]', 'Smith'], ['reason', 'Help'], ['consent', '1'],
    ])
    expect(payload).toEqual({
      destination: 'charitylog',
      people: [
        { first_name: 'Alice', surname: 'Smith', postcode: 'HR9 7US', org_type_id: 7, source: 1, referral_role: 1, project: 7, description: 'Help' },
        { first_name: 'Barry', surname: 'Smith', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
      ],
    })
  })
})

describe('Charitylog: the all-types fixture', () => {
  it('puts to: answers on the first person, dates and options as the visitor saw them in the description, and never sends to: false', async () => {
    const t = await start(FIXTURE_FORMS)
    const { payload } = await submit(t, 'all-types', [
      ['client[0][first_name]', 'Alice'], ['client[0][surname]', 'Smith'], ['client[0][phone]', '+44 7700 900982'],
      ['client[0][age]', '42'], ['client[0][ethnicity]', '99'],
      ['client[0][date_of_birth][day]', '29'], ['client[0][date_of_birth][month]', '2'], ['client[0][date_of_birth][year]', '1980'],
      ['family[0][first_name]', 'Bob'], ['family[0][surname]', 'Smith'],
      ['story', 'Things are hard.'], ['contact_by', 'phone'], ['best_time', 'Mornings'], ['needs', 'talk'], ['needs', 'money'],
      ['visit_on[day]', '1'], ['visit_on[month]', '3'], ['visit_on[year]', '2027'], ['newsletter', 'on'], ['consent', '1'],
    ])
    expect(payload).toEqual({
      destination: 'charitylog',
      people: [
        {
          first_name: 'Alice',
          surname: 'Smith',
          tel1: '+44 7700 900982',
          age: '42',
          date_of_birth: '1980-02-29',
          ethnicity: '99',
          secret: 'web-form',
          org_type_id: 7,
          source: 2,
          referral_role: 1,
          project: 3,
          newsletter_opt_in: '1',
          description: 'Things are hard.\n\nHow should we contact you?: Phone\nBest time to call: Mornings\nWhat do you need help with?: Money, Someone to talk to\nWhen can we visit?: 1 March 2027',
        },
        { first_name: 'Bob', surname: 'Smith', org_type_id: 9, source: 2, referral_role: 2, relationships: { 0: 5 } },
      ],
    })
    expect(JSON.stringify(payload)).not.toContain('consent')
  })
})

describe('Charitylog: relationships and groups beyond the examples', () => {
  const yaml = `id: family-tree
title: Family
destination: { type: charitylog, description: reason }
people:
  - key: parent
    heading: Parents
    max: 2
    charitylog: { org_type_id: 1 }
    fields: [{ name: first_name, label: First name, type: text, required: true }]
  - key: child
    heading: Children
    max: 3
    charitylog: { org_type_id: 2, relationship: { to: parent, id: 11 } }
    fields: [{ name: first_name, label: First name, type: text, required: true }]
  - key: grandchild
    heading: Grandchildren
    min: 0
    max: 2
    charitylog: { org_type_id: 3, relationship: { to: child, id: 12 } }
    fields: [{ name: first_name, label: First name, type: text, required: true }]
fields:
  - { name: reason, label: Why, type: textarea }
  - { name: phone, label: Phone, type: tel, to: tel1 }
`

  it('points each relationship at the array index of the first person of the to group, with no source or role when the form sets no source', async () => {
    const t = await start(formsDirWith('family-tree.yaml', yaml))
    const { payload } = await submit(t, 'family-tree', [
      ['parent[0][first_name]', 'P1'], ['parent[1][first_name]', 'P2'],
      ['child[0][first_name]', 'C1'], ['child[1][first_name]', 'C2'],
      ['grandchild[0][first_name]', 'G1'], ['phone', '01632 960001'],
    ])
    expect(payload).toEqual({
      destination: 'charitylog',
      people: [
        { first_name: 'P1', org_type_id: 1, tel1: '01632 960001', description: 'Referral from the form "Family"' },
        { first_name: 'P2', org_type_id: 1 },
        { first_name: 'C1', org_type_id: 2, relationships: { 0: 11 } },
        { first_name: 'C2', org_type_id: 2, relationships: { 0: 11 } },
        { first_name: 'G1', org_type_id: 3, relationships: { 2: 12 } },
      ],
    })
  })
})

describe('Lamplight: professional-referral', () => {
  const base: Pairs = [
    ['client[0][first_name]', 'Dee'], ['client[0][surname]', "O'<b>Brien</b>"], ['client[0][email]', 'dee@example.org'],
    ['client[0][mobile]', '07700 900 982'], ['client[0][postcode]', 'sw1a2aa'],
    ['referrer[0][first_name]', 'Sam'], ['referrer[0][surname]', 'Worker'], ['referrer[0][email]', 'sam@surgery.example.nhs.uk'],
    ['reason', 'Needs <urgent> help with debt & rent.'], ['urgency', 'High'],
  ]

  it('stores the attendee and referrer profiles and the referral, free of < and >, dated today', async () => {
    const t = await start()
    const { payload } = await submit(t, 'professional-referral', base)
    expect(payload).toEqual({
      destination: 'lamplight',
      attendee: { role: 'user', fields: { first_name: 'Dee', surname: "O'bBrien/b", email: 'dee@example.org', mobile: '07700900982', postcode: 'SW1A 2AA' } },
      referrer: { role: 'contact', fields: { first_name: 'Sam', surname: 'Worker', email: 'sam@surgery.example.nhs.uk' } },
      referral: { referral_reason: 'Needs urgent help with debt & rent.', date_from: '2026-06-15', workareaid: 22, Urgency_level: 'High' },
    })
  })

  it.each([
    ['+44 7700 900982', '+447700900982'],
    ['0044 7700 900982', '+447700900982'],
    ['(07700) 900-982', '07700900982'],
  ])('normalises the mobile %j to %j', async (typed, sent) => {
    const t = await start()
    const { payload } = await submit(t, 'professional-referral', base.map(([k, v]): [string, string] => [k, k === 'client[0][mobile]' ? typed : v]))
    expect(payload.destination === 'lamplight' && payload.attendee.fields.mobile).toBe(sent)
  })

  it('leaves out a number Lamplight would refuse as a mobile (a landline), rather than failing the referral', async () => {
    const t = await start()
    const { payload, answers } = await submit(t, 'professional-referral', base.map(([k, v]): [string, string] => [k, k === 'client[0][mobile]' ? '01632 960001' : v]))
    expect(payload.destination === 'lamplight' && payload.attendee.fields).toEqual({ first_name: 'Dee', surname: "O'bBrien/b", email: 'dee@example.org', postcode: 'SW1A 2AA' })
    // Staff still see it in the readable copy.
    expect(answers[0]?.items).toContainEqual({ label: 'Mobile number', answer: '01632 960001' })
  })
})

describe('Lamplight: a self-referral with extra questions', () => {
  const yaml = `id: self-referral
title: Refer yourself
destination: { type: lamplight, workareaid: 7, attendee: me, reason: reason }
people:
  - key: me
    heading: About you
    fields:
      - { name: first_name, label: First name, type: text, required: true }
      - { name: consent_photo, label: Photos are fine, type: checkbox, to: false }
      - { name: has_carer, label: Do you have a carer?, type: radios, options: [{ label: Yes, value: 'yes' }, { label: No, value: 'no' }] }
      - { name: carer_name, label: Carer's name, type: text, required: true, show_if: { field: has_carer, equals: 'yes' } }
fields:
  - { name: reason, label: What do you need?, type: textarea, required: true }
  - { name: start, label: When can you start?, type: date, future: true, to: date_from }
  - name: area
    label: Which area?
    type: select
    options: [{ label: North <side>, value: N }, { label: South, value: S }]
  - { name: seen_before, label: Seen before, type: radios, to: Seen before, options: [{ label: Yes, value: Yes }, { label: No, value: No }] }
  - { name: first_visit, label: First visit, type: date }
  - { name: consent, label: I agree, type: checkbox, required: true, to: false }
`

  it('adds Label: answer lines to referral_reason, lets a field set date_from, and sends no referrer profile', async () => {
    const t = await start(formsDirWith('self-referral.yaml', yaml))
    const { payload } = await submit(t, 'self-referral', [
      ['me[0][first_name]', 'Kim'], ['me[0][consent_photo]', '1'], ['reason', 'Company'],
      ['start[day]', '3'], ['start[month]', '8'], ['start[year]', '2026'], ['area', 'N'], ['seen_before', 'No'],
      ['first_visit[day]', '9'], ['first_visit[month]', '1'], ['first_visit[year]', '2020'], ['consent', '1'],
    ])
    expect(payload).toEqual({
      destination: 'lamplight',
      attendee: { role: 'user', fields: { first_name: 'Kim' } },
      referral: {
        referral_reason: 'Company\n\nWhich area?: North side\nFirst visit: 9 January 2020',
        date_from: '2026-08-03',
        workareaid: 7,
        Seen_before: 'No',
      },
    })
  })

  it('applies show_if within a person: the hidden answer is dropped, the shown one is required and sent', async () => {
    const t = await start(formsDirWith('self-referral.yaml', yaml))
    const base: Pairs = [['me[0][first_name]', 'Kim'], ['reason', 'Company'], ['consent', '1']]
    const hidden = await submit(t, 'self-referral', [...base, ['me[0][has_carer]', 'no'], ['me[0][carer_name]', 'Pat']])
    expect(hidden.payload).toMatchObject({ attendee: { role: 'user', fields: { first_name: 'Kim', has_carer: 'no' } } })
    expect(JSON.stringify(hidden)).not.toContain('Pat')
    await expect(submit(t, 'self-referral', [...base, ['me[0][has_carer]', 'yes']])).rejects.toThrow(/Enter a carer&#39;s name under/)
    const shown = await submit(t, 'self-referral', [...base, ['me[0][has_carer]', 'yes'], ['me[0][carer_name]', 'Pat']])
    expect(shown.payload).toEqual({
      destination: 'lamplight',
      attendee: { role: 'user', fields: { first_name: 'Kim', has_carer: 'yes', carer_name: 'Pat' } },
      referral: { referral_reason: 'Company', date_from: '2026-06-15', workareaid: 7 },
    })
  })
})
