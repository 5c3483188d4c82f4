/**
 * The form definition format (../shared/spec/form-definition.md) as zod schemas.
 *
 * The format is a public interface written by charity staff: every key of the spec is here with
 * the spec's name, objects are strict (an unknown key is an error, so a typo can't silently change a
 * form), and the cross-field rules the spec implies are checked in `formSchema`'s refinements with a
 * path, so the loader can point at the line. The JSON Schema for editors is generated from these.
 */
import { z } from 'zod'

const nameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must start with a lower-case letter and use only a-z, 0-9 and _ (at most 64 characters)')
  .meta({ id: 'Name' })

const showIfSchema = z.union([
  z.strictObject({ field: nameSchema, equals: z.string() }),
  z.strictObject({ field: nameSchema, in: z.array(z.string()).min(1) }),
]).meta({ id: 'ShowIf', description: 'Show (and validate, and send) this field only when another field in the same list has that value.' })
export type ShowIf = z.infer<typeof showIfSchema>

const optionSchema = z.strictObject({
  label: z.string().min(1),
  value: z.string().min(1, 'an option value must not be empty'),
}).meta({ id: 'Option' })
export type FieldOption = z.infer<typeof optionSchema>

/**
 * A form's own error messages for a field, per rule (an addition to the form definition spec), instead
 * of the built-in ones: said under the field, and in the error summary with whose answer it is.
 */
const errorsSchema = z.strictObject({
  required: z.string().min(1).optional().describe('When a required answer is missing, e.g. "Enter the name of the person you care for"'),
  format: z.string().min(1).optional().describe('When the answer is not in the form the type needs (an email address, a date, one of the options...)'),
  too_long: z.string().min(1).optional().describe('When the answer is longer than max_length'),
  too_small: z.string().min(1).optional().describe('When a number is below min'),
  too_big: z.string().min(1).optional().describe('When a number is above max'),
  past: z.string().min(1).optional().describe('When a date must be in the past and is not'),
  future: z.string().min(1).optional().describe('When a date must be in the future and is not'),
}).meta({ id: 'ErrorMessages' })
export type ErrorMessages = z.infer<typeof errorsSchema>

/** Keys every field type has. */
const base = {
  errors: errorsSchema.optional(),
  name: nameSchema,
  label: z.string().min(1, 'a label is required'),
  hint: z.string().optional(),
  required: z.boolean().optional(),
  autocomplete: z.string().regex(/^[a-z0-9 -]+$/, 'must be an HTML autocomplete token such as given-name').optional(),
  show_if: showIfSchema.optional(),
  to: z.union([z.string().min(1), z.literal(false)]).optional(),
}
const maxLength = { max_length: z.int().positive().max(100000).optional() }
const options = { options: z.array(optionSchema).min(1, 'give at least one option') }

export const fieldSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...base, ...maxLength, type: z.literal('text') }),
  z.strictObject({ ...base, ...maxLength, type: z.literal('textarea') }),
  z.strictObject({ ...base, ...maxLength, type: z.literal('email') }),
  z.strictObject({ ...base, ...maxLength, type: z.literal('tel') }),
  z.strictObject({ ...base, ...maxLength, type: z.literal('postcode') }),
  z.strictObject({ ...base, ...maxLength, type: z.literal('number'), min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({ ...base, type: z.literal('date'), past: z.boolean().optional(), future: z.boolean().optional() }),
  z.strictObject({ ...base, ...options, type: z.literal('select') }),
  z.strictObject({ ...base, ...options, type: z.literal('radios') }),
  z.strictObject({ ...base, ...options, type: z.literal('checkboxes') }),
  z.strictObject({ ...base, type: z.literal('checkbox') }),
  z.strictObject({ ...base, type: z.literal('hidden'), value: z.string() }),
]).meta({ id: 'Field', description: 'A question. See the Fields table of the form definition spec.' })
export type Field = z.infer<typeof fieldSchema>
export type FieldType = Field['type']

const groupSchema = z.strictObject({
  key: nameSchema,
  heading: z.string().min(1),
  min: z.int().min(0).max(50).optional(),
  max: z.int().min(1).max(50).optional(),
  add_another: z.string().min(1).optional(),
  fields: z.array(fieldSchema).min(1, 'a people group needs at least one field'),
  charitylog: z
    .strictObject({
      referral_role: z.int().optional(),
      org_type_id: z.int(),
      relationship: z.strictObject({ to: nameSchema, id: z.int() }).optional(),
    })
    .optional(),
  lamplight: z.strictObject({ role: z.enum(['user', 'contact']) }).optional(),
}).meta({ id: 'PeopleGroup', description: 'A group of people (carer, cared-for, client, referrer...), asked the same questions each.' })
export type PeopleGroup = z.infer<typeof groupSchema>

const charitylogDestination = z.strictObject({
  type: z.literal('charitylog'),
  source: z.int().optional(),
  project: z.int().optional(),
  description: nameSchema.optional(),
})
const lamplightDestination = z.strictObject({
  type: z.literal('lamplight'),
  workareaid: z.int(),
  attendee: nameSchema,
  referrer: nameSchema.optional(),
  reason: nameSchema.optional(),
})
const destinationSchema = z.discriminatedUnion('type', [charitylogDestination, lamplightDestination])
export type Destination = z.infer<typeof destinationSchema>

export const originSchema = z
  .string()
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, 'must be an origin like https://www.example.org.uk (no path, no trailing slash)')

const formObjectSchema = z.strictObject({
  $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors. Ignored by the server.'),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and hyphens (at most 63), like carers-referral'),
  title: z.string().min(1),
  intro: z.string().optional(),
  language: z.enum(['en', 'cy']).optional(),
  destination: destinationSchema,
  people: z.array(groupSchema).optional(),
  fields: z.array(fieldSchema).optional(),
  confirmation: z.strictObject({
    heading: z.string().min(1).optional(),
    body: z.string().min(1).optional(),
    // An extension of the spec (issue 13): offer the visitor a confirmation email (when email alerts are on).
    email: z.boolean().optional()
      .describe('Offer the visitor a confirmation email (their reference and what happens next, never their answers). Needs a mail server (SMTP_HOST).'),
  }).optional(),
  embed: z.strictObject({ allowed_origins: z.array(originSchema).optional() }).optional(),
  // An extension of the spec: an "Exit this page" button and the Shift ×3 shortcut.
  quick_exit: z.boolean().optional()
    .describe('Show an "Exit this page" button (and the Shift key pressed 3 times) that leaves for a neutral website.'),
  // Extensions of the spec (issue 14): who is asking, shown on the form. The form builder will not
  // publish a form without them (GOV.UK Forms' rule); `forms:check` warns (older files stay valid).
  privacy_notice: z.url({ protocol: /^https?$/ }).optional()
    .describe('The address of the charity\'s privacy notice: how it uses what people tell it. Linked from the form.'),
  contact: z.strictObject({
    phone: z.string().trim().regex(/^\+?[0-9][0-9 ()-]{4,22}[0-9]$/, 'must be a phone number of digits and spaces, such as 01234 567890').optional(),
    email: z.email().optional(),
  }).optional().describe('How someone filling in the form can reach the charity with a question. Shown on the form.'),
  // An extension of the spec (issue 13): email alerts about this form's referrals. Never their answers.
  alerts: z.strictObject({
    new_referrals: z.boolean().optional()
      .describe('Email staff (those who chose "A new referral arrived", and team_email) when a referral of this form arrives. Off by default.'),
    team_email: z.email().optional()
      .describe('An address that also gets this form\'s alerts: a referral that needs staff, and new referrals if new_referrals is true.'),
  }).optional().describe('Email alerts about this form\'s referrals (the email never holds the answers).'),
})

type FormObject = z.infer<typeof formObjectSchema>
type Ctx = z.core.$RefinementCtx<FormObject>

function issue (ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message })
}

function checkFieldList (ctx: Ctx, fields: Field[], at: (string | number)[]): void {
  const seen = new Map<string, number>()
  fields.forEach((f, i) => {
    if (seen.has(f.name)) issue(ctx, [...at, i, 'name'], `the name "${f.name}" is already used by another field in this list`)
    seen.set(f.name, i)
    if ((f.type === 'select' || f.type === 'radios' || f.type === 'checkboxes')) {
      const values = new Set<string>()
      f.options.forEach((o, j) => {
        if (values.has(o.value)) issue(ctx, [...at, i, 'options', j, 'value'], `the value "${o.value}" is used by two options`)
        values.add(o.value)
      })
    }
    if (f.type === 'number' && f.min !== undefined && f.max !== undefined && f.min > f.max) {
      issue(ctx, [...at, i, 'min'], 'min is greater than max')
    }
    if (f.type === 'date' && f.past && f.future) issue(ctx, [...at, i, 'future'], 'a date cannot be both past and future')
  })
  fields.forEach((f, i) => {
    if (!f.show_if) return
    const j = seen.get(f.show_if.field)
    if (j === undefined) issue(ctx, [...at, i, 'show_if', 'field'], `there is no field named "${f.show_if.field}" in the same list`)
    else if (j === i) issue(ctx, [...at, i, 'show_if', 'field'], 'a field cannot depend on itself')
  })
}

/** A form definition, with the rules that span keys. */
export const formSchema = formObjectSchema.superRefine((form, ctx) => {
  const people = form.people ?? []
  const fields = form.fields ?? []
  if (people.length === 0 && fields.length === 0) issue(ctx, [], 'a form needs at least one field in people or fields')
  checkFieldList(ctx, fields, ['fields'])
  const groups = new Map<string, PeopleGroup>()
  people.forEach((g, i) => {
    if (groups.has(g.key)) issue(ctx, ['people', i, 'key'], `the key "${g.key}" is already used by another group`)
    groups.set(g.key, g)
    const min = g.min ?? 1
    const max = g.max ?? 1
    if (min > max) issue(ctx, ['people', i, 'min'], `min (${min}) is greater than max (${max})`)
    checkFieldList(ctx, g.fields, ['people', i, 'fields'])
  })
  const topNames = new Set(fields.map((f) => f.name))
  const d = form.destination
  if (d.type === 'charitylog') {
    if (people.length === 0) issue(ctx, ['people'], 'a Charitylog form needs at least one people group')
    if (d.description !== undefined && !topNames.has(d.description)) {
      issue(ctx, ['destination', 'description'], `there is no top-level field named "${d.description}"`)
    }
    people.forEach((g, i) => {
      if (!g.charitylog) { issue(ctx, ['people', i], 'a Charitylog form needs charitylog: { org_type_id: ... } on every people group'); return }
      if (d.source !== undefined && g.charitylog.referral_role === undefined) {
        issue(ctx, ['people', i, 'charitylog'], 'destination.source is set, so every group needs a referral_role (Charitylog needs both or neither)')
      }
      const rel = g.charitylog.relationship
      if (rel && !groups.has(rel.to)) issue(ctx, ['people', i, 'charitylog', 'relationship', 'to'], `there is no people group with key "${rel.to}"`)
      if (rel && rel.to === g.key) issue(ctx, ['people', i, 'charitylog', 'relationship', 'to'], 'a group cannot relate to itself')
      if (g.lamplight) issue(ctx, ['people', i, 'lamplight'], 'this form goes to Charitylog; remove the lamplight settings')
    })
  } else {
    for (const [key, label] of [['attendee', d.attendee], ['referrer', d.referrer]] as const) {
      if (label === undefined) continue
      const gi = people.findIndex((g) => g.key === label)
      if (gi < 0) { issue(ctx, ['destination', key], `there is no people group with key "${label}"`); continue }
      const g = people[gi]!
      if ((g.max ?? 1) !== 1 || (g.min ?? 1) !== 1) issue(ctx, ['people', gi], `the ${key} group must have exactly one person (min 1, max 1)`)
    }
    if (d.referrer !== undefined && d.referrer === d.attendee) issue(ctx, ['destination', 'referrer'], 'the referrer group must differ from the attendee group')
    if (d.reason !== undefined && !topNames.has(d.reason)) issue(ctx, ['destination', 'reason'], `there is no top-level field named "${d.reason}"`)
    people.forEach((g, i) => {
      if (g.key !== d.attendee && g.key !== d.referrer) {
        issue(ctx, ['people', i, 'key'], 'a Lamplight form sends only the attendee and referrer groups; name this group in destination.attendee or destination.referrer')
      }
      if (g.charitylog) issue(ctx, ['people', i, 'charitylog'], 'this form goes to Lamplight; remove the charitylog settings')
    })
  }
})

export type FormDefinition = z.infer<typeof formSchema>
