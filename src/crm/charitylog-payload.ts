/**
 * A checked submission → the body of one Charitylog `PUT /external_referral` (spec: Destinations,
 * Charitylog). People in form order, each group's people in the order entered; `source` and the
 * group's `referral_role` on everyone when the form sets a source; `org_type_id` per group;
 * `relationships[<array index of the first person of group "to">] = id`; `project`, `description` and
 * top-level fields with a `to` on the first person.
 */
import type { CheckedSubmission } from '../forms/submission.js'
import type { FormDefinition } from '../forms/schema.js'
import { personAttributes, referralText } from './mapping.js'
import type { CharitylogPayload, CharitylogPerson } from './types.js'

export function toCharitylogPayload (form: FormDefinition, answers: CheckedSubmission): CharitylogPayload {
  const d = form.destination
  if (d.type !== 'charitylog') throw new Error(`Form ${form.id} does not go to Charitylog`)
  const groups = form.people ?? []
  const firstIndex = new Map<string, number>()
  let next = 0
  for (const g of groups) {
    firstIndex.set(g.key, next)
    next += answers.people[g.key]?.length ?? 0
  }
  const people: CharitylogPerson[] = []
  for (const g of groups) {
    const cl = g.charitylog
    for (const person of answers.people[g.key] ?? []) {
      const p: CharitylogPerson = { ...personAttributes(g.fields, person) }
      if (cl) p.org_type_id = cl.org_type_id
      if (d.source !== undefined && cl?.referral_role !== undefined) {
        p.source = d.source
        p.referral_role = cl.referral_role
      }
      const to = cl?.relationship ? firstIndex.get(cl.relationship.to) : undefined
      // Only when the related group has somebody in it (a group may allow min 0).
      if (cl?.relationship && to !== undefined && (answers.people[cl.relationship.to]?.length ?? 0) > 0) {
        p.relationships = { [to]: cl.relationship.id }
      }
      people.push(p)
    }
  }
  const lead = people[0]
  if (lead) {
    if (d.project !== undefined) lead.project = d.project
    for (const f of form.fields ?? []) {
      const a = answers.fields[f.name]
      if (a && typeof f.to === 'string') lead[f.to] = a.value
    }
    // Always sent: the 2019–2020 API required it, and it starts the contact's details on import.
    lead.description = referralText(form, answers, d.description) || `Referral from the form "${form.title}"`
  }
  return { destination: 'charitylog', people }
}
