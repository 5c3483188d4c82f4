/**
 * One definition per field type: how its answer is read from the request body and checked.
 * `checkAnswer` is the one exhaustive dispatcher: a new type in the schema fails to compile here
 * until it is handled (the `never` check), and throws at run time if a bad definition slips through.
 */
import type { Field } from './schema.js'
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

/** Reads the raw answer of one field whose input is called `name` (dates add `[day]`...). */
export function readRaw (field: Field, body: Body, name: string): RawValue {
  switch (field.type) {
    case 'date':
      return { day: first(body[`${name}[day]`]), month: first(body[`${name}[month]`]), year: first(body[`${name}[year]`]) }
    case 'checkboxes':
      return all(body[name])
    default:
      return first(body[name])
  }
}

export function emptyRaw (field: Field): RawValue {
  if (field.type === 'date') return { day: '', month: '', year: '' }
  if (field.type === 'checkboxes') return []
  return ''
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

/**
 * Checks one field's raw answer. `today` is YYYY-MM-DD in the charity's time zone; `label` names the
 * field in error messages (a person's fields say whose: "Person 2: Surname").
 * An empty answer to an optional field is `{ ok: true, answer: undefined }` (absent, never sent).
 */
export function checkAnswer (field: Field, raw: RawValue, t: Texts, today: string, label: string = field.label): Check {
  const str = typeof raw === 'string' ? raw : ''
  switch (field.type) {
    case 'text':
    case 'textarea': {
      const r = text(field, label, str, t, field.type === 'textarea' ? TEXTAREA_MAX_LENGTH : DEFAULT_MAX_LENGTH)
      return typeof r === 'string' ? { ok: true, answer: { value: r, display: r } } : r
    }
    case 'email': {
      const r = text(field, label, str, t, DEFAULT_MAX_LENGTH)
      if (typeof r !== 'string') return r
      return EMAIL.test(r) ? { ok: true, answer: { value: r, display: r } } : { ok: false, message: t.err.email(label) }
    }
    case 'tel': {
      const r = text(field, label, str, t, DEFAULT_MAX_LENGTH)
      if (typeof r !== 'string') return r
      const digits = r.replace(/\D/g, '').length
      return TEL_CHARS.test(r) && digits >= 7 && digits <= 15
        ? { ok: true, answer: { value: r, display: r } }
        : { ok: false, message: t.err.tel(label) }
    }
    case 'postcode': {
      const r = text(field, label, str, t, DEFAULT_MAX_LENGTH)
      if (typeof r !== 'string') return r
      const pc = normalisePostcode(r)
      return pc ? { ok: true, answer: { value: pc, display: pc } } : { ok: false, message: t.err.postcode(label) }
    }
    case 'number': {
      const r = text(field, label, str, t, DEFAULT_MAX_LENGTH)
      if (typeof r !== 'string') return r
      const cleaned = r.replace(/,/g, '')
      if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return { ok: false, message: t.err.number(label) }
      const n = Number(cleaned)
      if (field.min !== undefined && n < field.min) return { ok: false, message: t.err.numberMin(label, field.min) }
      if (field.max !== undefined && n > field.max) return { ok: false, message: t.err.numberMax(label, field.max) }
      return { ok: true, answer: { value: String(n), display: String(n) } }
    }
    case 'date':
      return checkDate(field, label, typeof raw === 'object' && !Array.isArray(raw) ? raw : { day: '', month: '', year: '' }, t, today)
    case 'select':
    case 'radios': {
      const v = str.trim()
      if (v === '') return field.required ? { ok: false, message: t.err.choose(label) } : { ok: true, answer: undefined }
      const option = field.options.find((o) => o.value === v)
      return option ? { ok: true, answer: { value: option.value, display: option.label } } : { ok: false, message: t.err.option(label) }
    }
    case 'checkboxes': {
      const chosen = new Set((Array.isArray(raw) ? raw : []).map((v) => v.trim()).filter((v) => v !== ''))
      if (chosen.size === 0) return field.required ? { ok: false, message: t.err.chooseSome(label) } : { ok: true, answer: undefined }
      const picked = field.options.filter((o) => chosen.has(o.value))
      if (picked.length !== chosen.size) return { ok: false, message: t.err.option(label) }
      return { ok: true, answer: { value: picked.map((o) => o.value).join(','), display: picked.map((o) => o.label).join(', ') } }
    }
    case 'checkbox': {
      const ticked = str.trim() !== ''
      if (!ticked) return field.required ? { ok: false, message: t.err.tick(label) } : { ok: true, answer: undefined }
      return { ok: true, answer: { value: '1', display: t.lang === 'cy' ? 'Ydw' : 'Yes' } }
    }
    case 'hidden':
      // The fixed value of the form file; whatever a client sends back is ignored.
      return { ok: true, answer: field.value === '' ? undefined : { value: field.value, display: field.value } }
    default: {
      const unexpected: never = field
      throw new Error(`Unexpected field type: ${(unexpected as { type: string }).type}`)
    }
  }
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
