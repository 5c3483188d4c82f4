/**
 * The CRM payload mapping on its own (src/crm/charitylog-payload.ts, lamplight-payload.ts, payload.ts):
 * checked answers in, the exact payload out, without the app. test/forms/payload.test.ts checks the
 * same through a real submission of the example forms.
 */
import { describe, expect, it } from 'vitest'
import { normaliseMobile, stripTags } from '../../src/crm/lamplight-payload.js'
import { toCrmPayload } from '../../src/crm/payload.js'
import type { Answer } from '../../src/forms/fields.js'
import { formSchema, type FormDefinition } from '../../src/forms/schema.js'
import type { CheckedSubmission } from '../../src/forms/submission.js'

const TODAY = '2026-06-15'
const a = (value: string, display = value): Answer => ({ value, display })
const text = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'text', name, label: name.replace(/_/g, ' '), ...extra })

function charitylogForm (destination: Record<string, unknown> = { source: 3, project: 7, description: 'reason' }): FormDefinition {
  return formSchema.parse({
    id: 'cl',
    title: 'Carers',
    destination: { type: 'charitylog', ...destination },
    people: [
      { key: 'carer', heading: 'You', fields: [text('first_name'), text('secret_note', { to: false })], charitylog: { org_type_id: 7, referral_role: 1 } },
      {
        key: 'cared_for',
        heading: 'They',
        min: 0,
        max: 3,
        fields: [text('first_name'), text('dob', { to: 'date_of_birth' })],
        charitylog: { org_type_id: 9, referral_role: 2, relationship: { to: 'carer', id: 5 } },
      },
    ],
    fields: [text('reason', { type: 'textarea' }), text('ethnicity', { to: 'ethnicity' }), text('heard', { label: 'How did you hear' })],
  })
}

describe('the Charitylog mapping', () => {
  it('sends people in order with roles, org types and the relationship to the first carer; project, description and mapped fields on the first', () => {
    const answers: CheckedSubmission = {
      people: {
        carer: [{ first_name: a('Alice'), secret_note: a('never sent') }],
        cared_for: [{ first_name: a('Barry'), dob: a('1940-03-01', '1 March 1940') }, { first_name: a('Cara') }],
      },
      fields: { reason: a('A break, please'), ethnicity: a('35'), heard: a('gp', 'My GP') },
    }
    expect(toCrmPayload(charitylogForm(), answers, TODAY)).toEqual({
      destination: 'charitylog',
      people: [
        { first_name: 'Alice', org_type_id: 7, source: 3, referral_role: 1, project: 7, ethnicity: '35', description: 'A break, please\n\nHow did you hear: My GP' },
        { first_name: 'Barry', date_of_birth: '1940-03-01', org_type_id: 9, source: 3, referral_role: 2, relationships: { 0: 5 } },
        { first_name: 'Cara', org_type_id: 9, source: 3, referral_role: 2, relationships: { 0: 5 } },
      ],
    })
  })

  it('sends no source or role without a source, no relationship to an empty group, and a description even without any text', () => {
    const form = formSchema.parse({
      ...charitylogForm({}),
      people: [charitylogForm().people![1], charitylogForm().people![0]].map((g, i) => (i === 1 ? { ...g, min: 0 } : g)),
      fields: [],
    })
    const payload = toCrmPayload(form, { people: { cared_for: [{ first_name: a('Barry') }], carer: [] }, fields: {} }, TODAY)
    expect(payload).toEqual({
      destination: 'charitylog',
      people: [{ first_name: 'Barry', org_type_id: 9, description: 'Referral from the form "Carers"' }],
    })
  })
})

function lamplightForm (): FormDefinition {
  return formSchema.parse({
    id: 'll',
    title: 'Professionals',
    destination: { type: 'lamplight', workareaid: 12, attendee: 'client', referrer: 'referrer', reason: 'why' },
    people: [
      { key: 'client', heading: 'Client', fields: [text('first_name'), text('postcode', { type: 'postcode' }), text('mobile')] },
      { key: 'referrer', heading: 'You', fields: [text('first_name'), text('organisation')] },
    ],
    fields: [text('why', { type: 'textarea' }), text('urgency', { to: 'Urgency level' }), text('start', { to: 'date_from' })],
  })
}

describe('the Lamplight mapping', () => {
  it('makes the attendee and referrer profiles and the referral, with custom fields and the date the form sets', () => {
    const answers: CheckedSubmission = {
      people: {
        client: [{ first_name: a('Siân <b>'), postcode: a('HR9 7US'), mobile: a('07700 900982') }],
        referrer: [{ first_name: a('Rhona'), organisation: a('GP <surgery>') }],
      },
      fields: { why: a('Needs <help>'), urgency: a('High'), start: a('2026-07-01') },
    }
    expect(toCrmPayload(lamplightForm(), answers, TODAY)).toEqual({
      destination: 'lamplight',
      attendee: { role: 'user', fields: { first_name: 'Siân b', postcode: 'HR9 7US', mobile: '07700900982' } },
      referrer: { role: 'contact', fields: { first_name: 'Rhona', organisation: 'GP surgery' } },
      referral: { referral_reason: 'Needs help', date_from: '2026-07-01', workareaid: 12, Urgency_level: 'High' },
    })
  })

  it('leaves out a postcode or mobile Lamplight would refuse, and dates the referral today when the form does not', () => {
    const answers: CheckedSubmission = {
      people: { client: [{ first_name: a('Ann'), postcode: a('NOT A CODE'), mobile: a('01989 567890') }], referrer: [] },
      fields: { why: a('Help') },
    }
    const payload = toCrmPayload(lamplightForm(), answers, TODAY)
    expect(payload).toMatchObject({ attendee: { fields: { first_name: 'Ann' } }, referral: { date_from: TODAY, referral_reason: 'Help' } })
    expect(payload.destination === 'lamplight' && payload.attendee.fields).toEqual({ first_name: 'Ann' })
  })

  it('normalises mobiles to the patterns Lamplight documents, and strips what looks like a tag', () => {
    expect(normaliseMobile('07700900982')).toBe('07700900982')
    expect(normaliseMobile('+44 7700 900982')).toBe('+447700900982')
    expect(normaliseMobile('0044 7700 900982')).toBe('+447700900982')
    expect(normaliseMobile('(07700) 900-982')).toBe('07700900982')
    expect(normaliseMobile('07700 900982')).toBe('07700900982')
    expect(normaliseMobile('01989 567890')).toBeUndefined()
    expect(stripTags('<script>alert(1)</script>')).toBe('scriptalert(1)/script')
  })
})

describe('choosing the mapping', () => {
  it('maps by the form\'s destination, and refuses a form whose destination does not match the mapper', async () => {
    expect(toCrmPayload(lamplightForm(), { people: { client: [{ first_name: a('A') }] }, fields: {} }, TODAY).destination).toBe('lamplight')
    const { toCharitylogPayload } = await import('../../src/crm/charitylog-payload.js')
    expect(() => toCharitylogPayload(lamplightForm(), { people: {}, fields: {} })).toThrow('does not go to Charitylog')
  })
})
