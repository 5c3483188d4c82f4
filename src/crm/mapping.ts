/** What both CRM mappings share: a person's attributes, and the free text of the referral. */
import type { Answers, CheckedSubmission } from '../forms/submission.js'
import type { Field, FormDefinition } from '../forms/schema.js'

/** A person's answers as CRM attributes: `to`, else the field's name; `to: false` is never sent. */
export function personAttributes (fields: Field[], person: Answers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fields) {
    const a = person[f.name]
    if (!a || f.to === false) continue
    out[f.to ?? f.name] = a.value
  }
  return out
}

/**
 * The referral's text: the answer of the `main` field, then a `Label: answer` line for every top-level
 * answer that has no `to` (the answer as the visitor saw it), so nothing the visitor wrote is lost.
 */
export function referralText (form: FormDefinition, answers: CheckedSubmission, main: string | undefined): string {
  const parts: string[] = []
  const lead = main === undefined ? undefined : answers.fields[main]
  if (lead) parts.push(lead.value)
  const lines: string[] = []
  for (const f of form.fields ?? []) {
    if (f.name === main || f.to !== undefined) continue
    const a = answers.fields[f.name]
    if (a) lines.push(`${f.label}: ${a.display}`)
  }
  if (lines.length > 0) parts.push(lines.join('\n'))
  return parts.join('\n\n')
}
