/**
 * One definition per field type (FIELD_TYPES): how its answer is read from the request body, what an
 * empty one is, how it is checked, which template shows it and with what input attributes. A new type
 * in the schema fails to compile until it has its entry here (the record is keyed by every FieldType),
 * and `fieldType` throws "Unexpected field type" if a bad definition slips through at run time.
 * Adding a field type means: its schema entry, its entry here, and (unless it is a one-line input)
 * one partial in views/fields/.
 */
import type { ErrorMessages, Field, FieldType } from './schema.js'
import { dateParts, type Texts } from './texts.js'

/** A parsed urlencoded body: repeated names become arrays. */
export type Body = Readonly<Record<string, string | string[] | undefined>>

/** What the visitor typed, as it goes back into the page. */
export type RawValue = string | string[] | DateInput
export interface DateInput { day: string, month: string, year: string }

/** A checked answer: `value` is what the CRM receives; `display` is how the visitor saw it. */
export interface Answer { value: string, display: string }

export type Check = { ok: true, answer: Answer | undefined } | { ok: false, message: string }

export const DEFAULT_MAX_LENGTH = 200
export const TEXTAREA_MAX_LENGTH = 5000

// A body's values are typed as strings, but a client can send anything (a JSON body with numbers or
// objects): whatever is not a string counts as not answered, rather than crashing a check.
function first (v: unknown): string {
  const s: unknown = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' ? s : ''
}
function all (v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? [v] : []
}

const length = (s: string) => [...s].length
const UK_POSTCODE = /^([A-Z]{1,2}[0-9R][0-9A-Z]?)([0-9][ABD-HJLNP-UW-Z]{2})$/
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/
const TEL_CHARS = /^\+?[0-9 ()-]+$/

/** `hr97us` → `HR9 7US`, or undefined when it is not a UK postcode. */
export function normalisePostcode (input: string): string | undefined {
  const m = UK_POSTCODE.exec(input.replace(/\s+/g, '').toUpperCase())
  return m ? `${m[1]} ${m[2]}` : undefined
}

function text (field: Field & { max_length?: number }, label: string, raw: string, t: Texts, fallbackMax: number): Check | string {
  const value = raw.trim()
  if (value === '') return field.required ? { ok: false, message: t.err.enter(label) } : { ok: true, answer: undefined }
  const max = field.max_length ?? fallbackMax
  // Characters, not UTF-16 units; never more of them than units, so only a long value is counted.
  if (value.length > max && length(value) > max) return { ok: false, message: t.err.tooLong(label, max) }
  return value
}

/** A real calendar date from three typed parts, as YYYY-MM-DD, or the reason it is not one. */
function checkDate (field: Extract<Field, { type: 'date' }>, label: string, raw: DateInput, t: Texts, today: string): Check {
  const parts = { day: raw.day.trim(), month: raw.month.trim(), year: raw.year.trim() }
  const missing = (['day', 'month', 'year'] as const).filter((p) => parts[p] === '')
  if (missing.length === 3) return field.required ? { ok: false, message: t.err.enter(label) } : { ok: true, answer: undefined }
  if (missing.length > 0) return { ok: false, message: t.err.dateMissing(label, dateParts(t, missing)) }
  if (!/^\d{1,2}$/.test(parts.day) || !/^\d{1,2}$/.test(parts.month) || !/^\d{4}$/.test(parts.year)) {
    return { ok: false, message: t.err.dateReal(label) }
  }
  const [d, m, y] = [Number(parts.day), Number(parts.month), Number(parts.year)]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (y < 1850 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, message: t.err.dateReal(label) }
  }
  const iso = date.toISOString().slice(0, 10)
  if (field.past && !(iso < today)) return { ok: false, message: t.err.datePast(label) }
  if (field.future && !(iso > today)) return { ok: false, message: t.err.dateFuture(label) }
  return { ok: true, answer: { value: iso, display: `${d} ${t.months[m - 1]} ${y}` } }
}

/** Everything that differs between field types. `F` is the type's own field definition. */
export interface FieldTypeDefinition<F extends Field = Field> {
  /** One line for staff: what the visitor sees and what is checked. */
  summary: string
  /** The template in views/fields/ (`input` for the one-line types). */
  partial: string
  /** The `<input>` attributes of a one-line type. */
  input?: { type: string, inputmode?: string, spellcheck?: boolean }
  /** The autocomplete token used when the form file gives none. */
  autocomplete?: string
  /** Never marked "(optional)": a consent box and a hidden value have no such choice to offer. */
  neverOptional?: true
  /** Always has a hint (the date's "For example, 27 3 2007"), whether the file gives one or not. */
  alwaysHinted?: true
  /** Left out of the staff copy of the answers (a fixed value staff know already). */
  notInStaffCopy?: true
  /** The raw answer of the field whose input is called `name` (dates add `[day]`...). */
  read (body: Body, name: string): RawValue
  /** A blank answer, as the page first shows it. */
  empty (): RawValue
  /**
   * Checks a raw answer. `today` is YYYY-MM-DD in the charity's time zone; `label` names the field in
   * error messages. An empty answer to an optional field is `{ ok: true, answer: undefined }`.
   */
  check (field: F, raw: RawValue, t: Texts, today: string, label: string): Check
}

const str = (raw: RawValue) => (typeof raw === 'string' ? raw : '')
const oneString = { read: (body: Body, name: string): RawValue => first(body[name]), empty: (): RawValue => '' }

/** A one-line or multi-line text answer whose checked value is `convert(trimmed)` or an error message. */
function textual<F extends Field & { max_length?: number }> (max: number, convert?: (value: string, field: F, label: string, t: Texts) => Check) {
  return (field: F, raw: RawValue, t: Texts, _today: string, label: string): Check => {
    const r = text(field, label, str(raw), t, max)
    if (typeof r !== 'string') return r
    return convert ? convert(r, field, label, t) : { ok: true, answer: { value: r, display: r } }
  }
}

function chooseOne (field: FieldOf<'select' | 'radios'>, raw: RawValue, t: Texts, _today: string, label: string): Check {
  const v = str(raw).trim()
  if (v === '') return field.required ? { ok: false, message: t.err.choose(label) } : { ok: true, answer: undefined }
  const option = field.options.find((o) => o.value === v)
  return option ? { ok: true, answer: { value: option.value, display: option.label } } : { ok: false, message: t.err.option(label) }
}

type FieldOf<T extends FieldType> = Extract<Field, { type: T }>

export const FIELD_TYPES: { readonly [T in FieldType]: FieldTypeDefinition<FieldOf<T>> } = {
  text: {
    summary: 'One line of text.',
    partial: 'input',
    input: { type: 'text' },
    ...oneString,
    check: textual(DEFAULT_MAX_LENGTH),
  },
  textarea: {
    summary: 'Several lines of text.',
    partial: 'textarea',
    ...oneString,
    check: textual(TEXTAREA_MAX_LENGTH),
  },
  email: {
    summary: 'An email address, checked for its shape.',
    partial: 'input',
    input: { type: 'email', spellcheck: false },
    autocomplete: 'email',
    ...oneString,
    check: textual(DEFAULT_MAX_LENGTH, (r, _f, label, t) => EMAIL.test(r) ? { ok: true, answer: { value: r, display: r } } : { ok: false, message: t.err.email(label) }),
  },
  tel: {
    summary: 'A phone number: digits, spaces, brackets, dashes and a leading +.',
    partial: 'input',
    input: { type: 'tel' },
    autocomplete: 'tel',
    ...oneString,
    check: textual(DEFAULT_MAX_LENGTH, (r, _f, label, t) => {
      const digits = r.replace(/\D/g, '').length
      return TEL_CHARS.test(r) && digits >= 7 && digits <= 15
        ? { ok: true, answer: { value: r, display: r } }
        : { ok: false, message: t.err.tel(label) }
    }),
  },
  postcode: {
    summary: 'A UK postcode, written the standard way (HR9 7US).',
    partial: 'input',
    input: { type: 'text', spellcheck: false },
    autocomplete: 'postal-code',
    ...oneString,
    check: textual(DEFAULT_MAX_LENGTH, (r, _f, label, t) => {
      const pc = normalisePostcode(r)
      return pc ? { ok: true, answer: { value: pc, display: pc } } : { ok: false, message: t.err.postcode(label) }
    }),
  },
  number: {
    summary: 'A number, with optional least and greatest values.',
    partial: 'input',
    input: { type: 'text', inputmode: 'decimal' },
    ...oneString,
    check: textual(DEFAULT_MAX_LENGTH, (r, field, label, t) => {
      const cleaned = r.replace(/,/g, '')
      if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return { ok: false, message: t.err.number(label) }
      const n = Number(cleaned)
      if (field.min !== undefined && n < field.min) return { ok: false, message: t.err.numberMin(label, field.min) }
      if (field.max !== undefined && n > field.max) return { ok: false, message: t.err.numberMax(label, field.max) }
      return { ok: true, answer: { value: String(n), display: String(n) } }
    }),
  },
  date: {
    summary: 'A date as day, month and year boxes, optionally in the past or the future.',
    partial: 'date',
    alwaysHinted: true,
    read: (body, name) => ({ day: first(body[`${name}[day]`]), month: first(body[`${name}[month]`]), year: first(body[`${name}[year]`]) }),
    empty: () => ({ day: '', month: '', year: '' }),
    check: (field, raw, t, today, label) =>
      checkDate(field, label, typeof raw === 'object' && !Array.isArray(raw) ? raw : { day: '', month: '', year: '' }, t, today),
  },
  select: {
    summary: 'One choice from a drop-down list.',
    partial: 'select',
    ...oneString,
    check: chooseOne,
  },
  radios: {
    summary: 'One choice from a short list, all shown.',
    partial: 'radios',
    ...oneString,
    check: chooseOne,
  },
  checkboxes: {
    summary: 'Any number of choices from a list, all shown.',
    partial: 'checkboxes',
    read: (body, name) => all(body[name]),
    empty: () => [],
    check (field, raw, t, _today, label) {
      const chosen = new Set((Array.isArray(raw) ? raw : []).map((v) => v.trim()).filter((v) => v !== ''))
      if (chosen.size === 0) return field.required ? { ok: false, message: t.err.chooseSome(label) } : { ok: true, answer: undefined }
      const picked = field.options.filter((o) => chosen.has(o.value))
      if (picked.length !== chosen.size) return { ok: false, message: t.err.option(label) }
      return { ok: true, answer: { value: picked.map((o) => o.value).join(','), display: picked.map((o) => o.label).join(', ') } }
    },
  },
  checkbox: {
    summary: 'One box to tick, such as consent.',
    partial: 'checkbox',
    neverOptional: true,
    ...oneString,
    check (field, raw, t, _today, label) {
      const ticked = str(raw).trim() !== ''
      if (!ticked) return field.required ? { ok: false, message: t.err.tick(label) } : { ok: true, answer: undefined }
      return { ok: true, answer: { value: '1', display: t.lang === 'cy' ? 'Ydw' : 'Yes' } }
    },
  },
  hidden: {
    summary: 'A fixed value the visitor does not see, sent with every referral.',
    partial: 'hidden',
    neverOptional: true,
    notInStaffCopy: true,
    ...oneString,
    // The fixed value of the form file; whatever a client sends back is ignored.
    check: (field) => ({ ok: true, answer: field.value === '' ? undefined : { value: field.value, display: field.value } }),
  },
}

/** The field types, in the order the spec lists them. */
export const FIELD_TYPE_NAMES = Object.keys(FIELD_TYPES) as FieldType[]

/** The one dispatcher: the definition of a field's type, or an "Unexpected field type" error. */
export function fieldType<F extends Field> (field: F): FieldTypeDefinition<F> {
  const definition = Object.hasOwn(FIELD_TYPES, field.type) ? FIELD_TYPES[field.type] : undefined
  if (!definition) throw new Error(`Unexpected field type: ${String((field as { type: unknown }).type)}`)
  return definition as unknown as FieldTypeDefinition<F>
}

export const readRaw = (field: Field, body: Body, name: string): RawValue => fieldType(field).read(body, name)
export const emptyRaw = (field: Field): RawValue => fieldType(field).empty()

/**
 * Checks one field's raw answer. `today` is YYYY-MM-DD in the charity's time zone; `label` names the
 * field in error messages (a person's fields say whose: "Person 2: Surname").
 * An empty answer to an optional field is `{ ok: true, answer: undefined }` (absent, never sent).
 */
export function checkAnswer (field: Field, raw: RawValue, t: Texts, today: string, label: string = field.label): Check {
  return fieldType(field).check(field, raw, field.errors ? withOwnMessages(t, field.errors) : t, today, label)
}

/** Which built-in messages each rule of a form's own `errors:` replaces. */
const RULES: Record<keyof ErrorMessages, ReadonlyArray<keyof Texts['err']>> = {
  required: ['enter', 'choose', 'chooseSome', 'tick'],
  format: ['email', 'tel', 'postcode', 'number', 'dateReal', 'dateMissing', 'option'],
  too_long: ['tooLong'],
  too_small: ['numberMin'],
  too_big: ['numberMax'],
  past: ['datePast'],
  future: ['dateFuture'],
}

/** The texts with a field's own messages in place of the built-in ones of their rules. */
function withOwnMessages (t: Texts, own: ErrorMessages): Texts {
  const err = { ...t.err }
  for (const [rule, keys] of Object.entries(RULES) as Array<[keyof ErrorMessages, ReadonlyArray<keyof Texts['err']>]>) {
    const message = own[rule]
    if (message !== undefined) for (const k of keys) (err as Record<string, unknown>)[k] = () => message
  }
  return { ...t, err }
}

/** Whether a `show_if` condition holds, judged on the raw answers of the same list. */
export function conditionHolds (field: Field, rawOf: (name: string) => RawValue | undefined): boolean {
  const cond = field.show_if
  if (!cond) return true
  const raw = rawOf(cond.field)
  const values = Array.isArray(raw) ? raw.map((v) => v.trim()) : typeof raw === 'string' ? [raw.trim()] : []
  const wanted = 'equals' in cond ? [cond.equals] : cond.in
  return values.some((v) => wanted.includes(v))
}
