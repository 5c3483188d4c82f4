/** The staff copy of a submission: every shown answer with its question, as the visitor saw it. */
import type { ReadableSection } from '../storage/index.js'
import { fieldType } from './fields.js'
import type { Field, FormDefinition } from './schema.js'
import type { Answers, CheckedSubmission } from './submission.js'
import type { Texts } from './texts.js'

function items (fields: Field[], answers: Answers): ReadableSection['items'] {
  return fields.flatMap((f) => {
    const a = answers[f.name]
    return a && !fieldType(f).notInStaffCopy ? [{ label: f.label, answer: a.display }] : []
  })
}

export function readableCopy (form: FormDefinition, answers: CheckedSubmission, t: Texts): ReadableSection[] {
  const sections: ReadableSection[] = []
  for (const g of form.people ?? []) {
    const people = answers.people[g.key] ?? []
    people.forEach((person, i) => {
      sections.push({ heading: people.length > 1 || (g.max ?? 1) > 1 ? `${g.heading}: ${t.person(i + 1)}` : g.heading, items: items(g.fields, person) })
    })
  }
  const rest = items(form.fields ?? [], answers.fields)
  if (rest.length > 0) sections.push({ heading: form.title, items: rest })
  return sections
}
