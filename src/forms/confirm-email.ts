/**
 * The visitor's confirmation email, offered on a form that asks for it (`confirmation.email: true`)
 * when the server can send email: a box to tick and, shown when it is ticked, their address. They are
 * two fields added to the form as the visitor sees it (so they are rendered, checked and kept on
 * screen like any other), never to the form the CRM mapping reads: the address goes to the CRM with
 * nothing, and is stored apart, sealed, until the email is sent.
 *
 * Their names start with `_`, which a form's own fields cannot (schema.ts), so they never clash.
 */
import type { Answers } from './submission.js'
import type { Field, FormDefinition } from './schema.js'
import { texts } from './texts.js'

export const CONFIRM_FIELD = '_confirm'
export const CONFIRM_ADDRESS_FIELD = '_confirm_email'

const shown = new WeakMap<FormDefinition, FormDefinition>()

/** The form as the visitor sees it: with the two fields when it offers the email and `mailOn`. */
export function asShown (def: FormDefinition, mailOn: boolean): FormDefinition {
  if (!mailOn || def.confirmation?.email !== true) return def
  let out = shown.get(def)
  if (!out) {
    const t = texts[def.language ?? 'en'].confirmEmail
    const extra: Field[] = [
      { type: 'checkbox', name: CONFIRM_FIELD, label: t.label, hint: t.hint },
      { type: 'email', name: CONFIRM_ADDRESS_FIELD, label: t.address, required: true, autocomplete: 'email', max_length: 254, show_if: { field: CONFIRM_FIELD, equals: '1' } },
    ]
    out = { ...def, fields: [...(def.fields ?? []), ...extra] }
    shown.set(def, out)
  }
  return out
}

/** The address the visitor asked their confirmation to go to, if they ticked the box. */
export function confirmationAddress (fields: Answers): string | undefined {
  return fields[CONFIRM_FIELD] ? fields[CONFIRM_ADDRESS_FIELD]?.value : undefined
}
