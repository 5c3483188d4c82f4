/**
 * GOV.UK Forms' rule for going live (issue 14): a form says who is asking and what happens next. The
 * form builder will not publish a form without a link to the charity's privacy notice, a contact
 * (phone or email) shown on the form, and "what happens next" on its confirmation; `forms:check` says
 * so as a warning, so files written before these keys existed stay valid.
 */
import type { FormProblem } from './load.js'
import type { FormDefinition } from './schema.js'

export function publishGate (form: FormDefinition, file: string): FormProblem[] {
  const missing: FormProblem[] = []
  const say = (path: string, message: string) => missing.push({ file, path, line: undefined, message })
  if (!form.privacy_notice) say('privacy_notice', 'add the address of your privacy notice, so people can see how you use what they tell you')
  if (!form.contact?.phone && !form.contact?.email) say('contact', 'add a phone number or an email address, so people can ask about the form')
  if (!form.confirmation?.body) say('confirmation.body', 'say what happens next, on the page people see once they have sent the form')
  // A new form from the builder starts with 0 for the IDs the CRM lists, until they are chosen.
  if (form.destination.type === 'lamplight' && form.destination.workareaid === 0) say('destination.workareaid', 'choose the Lamplight workarea the referrals go to')
  for (const [i, g] of (form.people ?? []).entries()) {
    if (g.charitylog?.org_type_id === 0) say(`people[${i}].charitylog.org_type_id`, `choose the Charitylog client type of “${g.heading}”`)
  }
  return missing
}
