/**
 * The builder's question page as data (issue 14): what its fields show for a question of each type, and
 * what a posted page means for the form file's keys, with a plain-language error per wrong answer. The
 * options of a choice question are rows that can be added, removed and moved without JavaScript (each
 * button posts the page back, like a visitor's "Add another person"), and "Show this only if" is one
 * choice among the answers of the other choice questions of the same list.
 */
import { FIELD_TYPES } from '../forms/fields.js'
import type { FieldType } from '../forms/schema.js'

export const CHOICE_TYPES: readonly string[] = ['select', 'radios', 'checkboxes']
const LENGTH_TYPES: readonly string[] = ['text', 'textarea', 'email', 'tel', 'postcode', 'number']

/** What a visitor sees for each type, in words (no pictures): for the "Add a question" page. */
export const TYPE_EXAMPLES: Record<FieldType, string> = {
  text: 'A box for a name or a few words.',
  textarea: 'A tall box for a longer answer, such as "How can we help?".',
  email: 'A box for an email address; "name@example" is refused kindly.',
  tel: 'A box for a phone number.',
  postcode: 'A short box for a postcode.',
  number: 'A short box for a number, such as how many children.',
  date: 'Three boxes: day, month, year.',
  select: 'A drop-down list to pick one from (for long lists).',
  radios: 'A short list of answers with round buttons: pick one.',
  checkboxes: 'A list of answers with boxes: tick any.',
  checkbox: 'One box to tick, such as "I agree".',
  hidden: 'Nothing: a fixed value sent with every referral.',
}

/** Types staff can add here (a hidden value needs its value typed: the YAML editor). */
export const ADDABLE_TYPES: readonly FieldType[] = ['text', 'textarea', 'email', 'tel', 'postcode', 'number', 'date', 'radios', 'checkboxes', 'select', 'checkbox']

export const isAddable = (t: string): t is FieldType => (ADDABLE_TYPES as readonly string[]).includes(t)

export interface OptionRow { label: string, value: string }

/** The page's values, as shown and as posted back (strings, as a form sends them). */
export interface QuestionValues {
  type: string
  label: string
  hint: string
  required: boolean
  /** `crm`: send as `to`; `name`: under its own name; `none`: not sent. */
  send: 'name' | 'crm' | 'none'
  to: string
  maxLength: string
  min: string
  max: string
  /** `any`, `past` or `future`. */
  when: string
  options: OptionRow[]
  /** `""` (always), or `<field>=<value>`. */
  showIf: string
}

export interface ShowIfChoice { value: string, text: string }

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {})
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/** The page's values for a question as the file has it. */
export function valuesOf (field: Record<string, unknown>): QuestionValues {
  const cond = obj(field.show_if)
  return {
    type: str(field.type),
    label: str(field.label),
    hint: str(field.hint),
    required: field.required === true,
    send: field.to === false ? 'none' : typeof field.to === 'string' ? 'crm' : 'name',
    to: typeof field.to === 'string' ? field.to : '',
    maxLength: str(field.max_length),
    min: str(field.min),
    max: str(field.max),
    when: field.past === true ? 'past' : field.future === true ? 'future' : 'any',
    options: Array.isArray(field.options) ? field.options.map((o) => ({ label: str(obj(o).label), value: str(obj(o).value) })) : [],
    showIf: cond.field !== undefined && cond.equals !== undefined ? `${str(cond.field)}=${str(cond.equals)}` : '',
  }
}

/** A new question of `type`: empty, with two empty options for a choice. */
export function blankValues (type: FieldType): QuestionValues {
  return {
    type,
    label: '',
    hint: '',
    required: false,
    send: 'name',
    to: '',
    maxLength: '',
    min: '',
    max: '',
    when: 'any',
    options: CHOICE_TYPES.includes(type) ? [{ label: '', value: '' }, { label: '', value: '' }] : [],
    showIf: '',
  }
}

type Body = Record<string, unknown>
const one = (v: unknown) => (Array.isArray(v) ? str(v[0]) : str(v))

/** The values posted (option rows as `options[i][label]`, `options[i][value]`, in the order of `i`). */
export function readValues (body: Body, type: string): QuestionValues {
  // Rows as a browser posts them, flat: options[0][label], options[0][value], ...
  const byRow = new Map<number, OptionRow>()
  for (const key of Object.keys(body)) {
    const m = /^options\[(\d{1,3})\]\[(label|value)\]$/.exec(key)
    if (!m) continue
    const row = byRow.get(Number(m[1])) ?? { label: '', value: '' }
    row[m[2] as 'label' | 'value'] = one(body[key]).trim()
    byRow.set(Number(m[1]), row)
  }
  const rows = [...byRow].sort(([a], [b]) => a - b).map(([, r]) => r)
  const send = one(body.send)
  return {
    type,
    label: one(body.label).trim(),
    hint: one(body.hint).trim(),
    required: one(body.required) === 'yes',
    send: send === 'crm' || send === 'none' ? send : 'name',
    to: one(body.to).trim(),
    maxLength: one(body.max_length).trim(),
    min: one(body.min).trim(),
    max: one(body.max).trim(),
    when: ['past', 'future'].includes(one(body.when)) ? one(body.when) : 'any',
    options: rows,
    showIf: one(body.show_if),
  }
}

/** The question's type changed to `type`: a choice starts with two empty answers to fill in. */
export function withType (v: QuestionValues, type: FieldType): QuestionValues {
  const options = CHOICE_TYPES.includes(type) && v.options.length === 0 ? [{ label: '', value: '' }, { label: '', value: '' }] : v.options
  return { ...v, type, options }
}

/** The no-JavaScript buttons of the options: add a row, remove one, move one up or down. */
export function applyOptionAction (v: QuestionValues, action: string): QuestionValues | undefined {
  const rows = [...v.options]
  if (action === 'add-option') return { ...v, options: [...rows, { label: '', value: '' }] }
  const m = /^(remove|up|down)-option:(\d{1,3})$/.exec(action)
  if (!m) return undefined
  const i = Number(m[2])
  if (i >= rows.length) return v
  if (m[1] === 'remove') rows.splice(i, 1)
  else {
    const j = m[1] === 'up' ? i - 1 : i + 1
    if (j < 0 || j >= rows.length) return v
    ;[rows[i], rows[j]] = [rows[j]!, rows[i]!]
  }
  return { ...v, options: rows }
}

/** A value for an option or a question's name, from its words: `Yes, sometimes` → `yes_sometimes`. */
export function slug (words: string): string {
  const s = words.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40).replace(/_+$/, '')
  return /^[a-z]/.test(s) ? s : `q_${s}`.replace(/_+$/, '')
}

/** A name for a new question from its text, not used by another question of the list. */
export function newName (label: string, taken: ReadonlySet<string>): string {
  const base = slug(label) || 'question'
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`
  return name
}

const CRM_FIELD = /^[A-Za-z][A-Za-z0-9_ ]{0,63}$/

export type Checked = { ok: true, keys: Record<string, unknown> } | { ok: false, errors: Array<{ id: string, message: string }> }

/**
 * What the posted values mean for the file's keys (a key `undefined` is removed), or the errors to show.
 * `showIfChoices`: the conditions the page offered (any other is refused).
 */
export function checkValues (v: QuestionValues, showIfChoices: readonly ShowIfChoice[]): Checked {
  const errors: Array<{ id: string, message: string }> = []
  if (v.label === '') errors.push({ id: 'label', message: 'Enter the question, as visitors will read it' })
  if (v.send === 'crm' && !CRM_FIELD.test(v.to)) errors.push({ id: 'to', message: 'Enter the CRM field’s name: letters, digits, spaces and _, starting with a letter' })
  const int = (s: string) => (/^\d{1,6}$/.test(s) ? Number(s) : undefined)
  const num = (s: string) => (/^-?\d{1,9}(\.\d{1,4})?$/.test(s) ? Number(s) : undefined)
  if (LENGTH_TYPES.includes(v.type) && v.maxLength !== '' && !(int(v.maxLength)! > 0)) errors.push({ id: 'max_length', message: 'Enter the longest answer as a whole number of characters, such as 500' })
  if (v.type === 'number') {
    if (v.min !== '' && num(v.min) === undefined) errors.push({ id: 'min', message: 'Enter the smallest number allowed, such as 0' })
    if (v.max !== '' && num(v.max) === undefined) errors.push({ id: 'max', message: 'Enter the largest number allowed, such as 10' })
    if (num(v.min) !== undefined && num(v.max) !== undefined && num(v.min)! > num(v.max)!) errors.push({ id: 'max', message: 'The largest number must not be smaller than the smallest' })
  }
  let options: OptionRow[] | undefined
  if (CHOICE_TYPES.includes(v.type)) {
    options = v.options.filter((o) => o.label !== '' || o.value !== '').map((o) => ({ label: o.label, value: o.value || slug(o.label) }))
    if (options.length === 0) errors.push({ id: 'options-0-label', message: 'Give at least one answer to choose from' })
    const seen = new Set<string>()
    v.options.forEach((o, i) => {
      if (o.label === '' && o.value !== '') errors.push({ id: `options-${i}-label`, message: `Enter the words of answer ${i + 1}` })
      const value = o.value || slug(o.label)
      if (o.label !== '' && seen.has(value)) errors.push({ id: `options-${i}-value`, message: `Answer ${i + 1} sends the same value as another answer: give it a value of its own` })
      seen.add(value)
    })
  }
  if (v.showIf !== '' && !showIfChoices.some((c) => c.value === v.showIf)) errors.push({ id: 'show_if', message: 'Choose when to show the question from the list' })
  if (errors.length > 0) return { ok: false, errors }
  const [condField, ...rest] = v.showIf.split('=')
  return {
    ok: true,
    keys: {
      type: v.type,
      label: v.label,
      hint: v.hint === '' ? undefined : v.hint,
      required: v.required ? true : undefined,
      to: v.send === 'none' ? false : v.send === 'crm' ? v.to : undefined,
      // Keys of other types go (the type may just have been changed).
      max_length: LENGTH_TYPES.includes(v.type) && v.maxLength !== '' ? int(v.maxLength) : undefined,
      min: v.type === 'number' && v.min !== '' ? num(v.min) : undefined,
      max: v.type === 'number' && v.max !== '' ? num(v.max) : undefined,
      past: v.type === 'date' && v.when === 'past' ? true : undefined,
      future: v.type === 'date' && v.when === 'future' ? true : undefined,
      options,
      ...(v.type !== 'hidden' && { value: undefined }),
      show_if: v.showIf === '' ? undefined : { field: condField, equals: rest.join('=') },
    },
  }
}

/** "Show this only if" choices: each answer of each other choice question (and each tick box) of the list. */
export function showIfChoices (siblings: ReadonlyArray<Record<string, unknown>>, self: string | undefined): ShowIfChoice[] {
  const out: ShowIfChoice[] = []
  for (const f of siblings) {
    const name = str(f.name)
    if (name === '' || name === self) continue
    const label = str(f.label) || name
    if (CHOICE_TYPES.includes(str(f.type)) && Array.isArray(f.options)) {
      for (const o of f.options) out.push({ value: `${name}=${str(obj(o).value)}`, text: `“${label}” is answered “${str(obj(o).label)}”` })
    } else if (str(f.type) === 'checkbox') {
      out.push({ value: `${name}=1`, text: `“${label}” is ticked` })
    }
  }
  return out
}

export const typeSummary = (t: string) => (Object.hasOwn(FIELD_TYPES, t) ? FIELD_TYPES[t as FieldType].summary : t)
