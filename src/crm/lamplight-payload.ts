/**
 * A checked submission → a Lamplight referral (spec: Destinations, Lamplight): the attendee profile,
 * the referrer profile if the form has that group, and the `referral/add` parameters. Lamplight
 * rejects a whole request that contains anything like an HTML tag (error 9999), so `<` and `>` are
 * removed from every value here, and postcodes and mobiles that would fail its patterns (error 1055)
 * are normalised or left out.
 */
import type { CheckedSubmission } from '../forms/submission.js'
import { normalisePostcode } from '../forms/fields.js'
import type { FormDefinition, PeopleGroup } from '../forms/schema.js'
import { personAttributes, referralText } from './mapping.js'
import type { LamplightPayload, LamplightProfile } from './types.js'

export const stripTags = (s: string) => s.replace(/[<>]/g, '')

/** Lamplight's documented pattern for a UK mobile: 07…, +447…, or +44 7…. */
const UK_MOBILE = /^(0|\+44 |\+44)7[0-9]{1}[\d]{2}[\s]{0,1}[\d]{6}$/
const LAMPLIGHT_POSTCODE = /^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$/

/** A mobile number in a form Lamplight accepts (`07700 900982`, `+447700900982`), or undefined. */
export function normaliseMobile (input: string): string | undefined {
  let digits = input.replace(/[\s()-]/g, '')
  if (digits.startsWith('0044')) digits = `+44${digits.slice(4)}`
  if (UK_MOBILE.test(digits)) return digits
  const m = /^07(\d{3})(\d{6})$/.exec(digits)
  return m ? `07${m[1]} ${m[2]}` : undefined
}

function profile (group: PeopleGroup, answers: CheckedSubmission, fallbackRole: 'user' | 'contact'): LamplightProfile {
  const person = answers.people[group.key]?.[0] ?? {}
  const fields: Record<string, string> = {}
  for (const [k, v] of Object.entries(personAttributes(group.fields, person))) {
    const clean = stripTags(v)
    if (k === 'postcode') {
      const pc = normalisePostcode(clean)
      if (pc && LAMPLIGHT_POSTCODE.test(pc)) fields[k] = pc
    } else if (k === 'mobile') {
      const m = normaliseMobile(clean)
      if (m) fields[k] = m
    } else {
      fields[k] = clean
    }
  }
  return { role: group.lamplight?.role ?? fallbackRole, fields }
}

/** `today` is YYYY-MM-DD: the referral's date unless a field sets `date_from`. */
export function toLamplightPayload (form: FormDefinition, answers: CheckedSubmission, today: string): LamplightPayload {
  const d = form.destination
  if (d.type !== 'lamplight') throw new Error(`Form ${form.id} does not go to Lamplight`)
  const groups = form.people ?? []
  const attendeeGroup = groups.find((g) => g.key === d.attendee)
  if (!attendeeGroup) throw new Error(`Form ${form.id}: no attendee group ${d.attendee}`)
  const referrerGroup = d.referrer === undefined ? undefined : groups.find((g) => g.key === d.referrer)
  const referral: Record<string, string | number> = {
    referral_reason: stripTags(referralText(form, answers, d.reason)),
    date_from: today,
    workareaid: d.workareaid,
  }
  for (const f of form.fields ?? []) {
    const a = answers.fields[f.name]
    if (!a || typeof f.to !== 'string') continue
    referral[f.to === 'date_from' ? 'date_from' : f.to.replace(/ /g, '_')] = stripTags(a.value)
  }
  return {
    destination: 'lamplight',
    attendee: profile(attendeeGroup, answers, 'user'),
    ...(referrerGroup ? { referrer: profile(referrerGroup, answers, 'contact') } : {}),
    referral,
  }
}
