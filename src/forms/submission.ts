/**
 * A submitted body, read against a form: the raw answers (to re-render), the people of each group
 * (`group[i][field]`), the no-JavaScript add/remove buttons, and the checked answers or the errors.
 */
import { checkAnswer, conditionHolds, emptyRaw, readRaw, type Answer, type Body, type RawValue } from './fields.js'
import type { Field, FormDefinition, PeopleGroup } from './schema.js'
import type { Texts } from './texts.js'

export type RawAnswers = Record<string, RawValue>
export interface RawSubmission {
  fields: RawAnswers
  people: Record<string, RawAnswers[]>
}

export type Answers = Record<string, Answer>
export interface CheckedSubmission {
  fields: Answers
  people: Record<string, Answers[]>
}

/**
 * An error on the page: `id` is the element the error summary links to; `message` is said under the
 * field, `summary` (when it differs) in the error summary, saying whose answer it is.
 */
export interface PageError { id: string, message: string, summary?: string }

/** Upper bound on people read from one body, whatever the form allows, so a body can't make us work hard. */
const PEOPLE_READ_LIMIT = 60

export const inputName = (group: string | undefined, index: number, field: string) =>
  group === undefined ? field : `${group}[${index}][${field}]`
/** HTML id of a field's (first) input. Names are [a-z0-9_], so ids built with `-` cannot collide. */
export const inputId = (group: string | undefined, index: number, field: string) =>
  group === undefined ? `f-${field}` : `f-${group}-${index}-${field}`
export const groupId = (group: string) => `g-${group}`

export const groupMin = (g: PeopleGroup) => g.min ?? 1
export const groupMax = (g: PeopleGroup) => g.max ?? 1

/**
 * The person indexes a body carries for a group, in order (gaps closed up). The page sends a
 * `group[i][_]` marker per person, so a person whose only questions are unticked boxes still counts.
 */
function personIndexes (group: PeopleGroup, body: Body): number[] {
  const prefix = `${group.key}[`
  const found = new Set<number>()
  for (const key of Object.keys(body)) {
    if (!key.startsWith(prefix)) continue
    const m = /^\[(\d{1,4})\]\[/.exec(key.slice(group.key.length))
    if (m) found.add(Number(m[1]))
  }
  return [...found].sort((a, b) => a - b).slice(0, PEOPLE_READ_LIMIT)
}

function readList (fields: Field[], body: Body, name: (field: string) => string): RawAnswers {
  const out: RawAnswers = {}
  for (const f of fields) out[f.name] = readRaw(f, body, name(f.name))
  return out
}

export function emptyPerson (group: PeopleGroup): RawAnswers {
  return Object.fromEntries(group.fields.map((f) => [f.name, emptyRaw(f)]))
}

/** A blank submission: what the page shows first (each group with its minimum, at least one). */
export function blankSubmission (form: FormDefinition): RawSubmission {
  const people: Record<string, RawAnswers[]> = {}
  for (const g of form.people ?? []) people[g.key] = Array.from({ length: Math.max(groupMin(g), 1) }, () => emptyPerson(g))
  return { fields: Object.fromEntries((form.fields ?? []).map((f) => [f.name, emptyRaw(f)])), people }
}

export function readSubmission (form: FormDefinition, body: Body): RawSubmission {
  const people: Record<string, RawAnswers[]> = {}
  for (const g of form.people ?? []) {
    const list = personIndexes(g, body).map((i) => readList(g.fields, body, (f) => inputName(g.key, i, f)))
    // A client that sent fewer people than the minimum gets the missing ones as blank people, so the
    // page shows their questions and says which answers are needed.
    while (list.length < groupMin(g)) list.push(emptyPerson(g))
    people[g.key] = list
  }
  return { fields: readList(form.fields ?? [], body, (f) => f), people }
}

export type PeopleAction = { kind: 'add', group: string } | { kind: 'remove', group: string, index: number }

/** The no-JavaScript buttons: `_action=add:group` and `_action=remove:group:index`. */
export function readAction (body: Body): PeopleAction | undefined {
  const v = body._action
  const s: unknown = Array.isArray(v) ? v[0] : v
  if (typeof s !== 'string') return undefined
  let m = /^add:([a-z][a-z0-9_]{0,63})$/.exec(s)
  if (m) return { kind: 'add', group: m[1]! }
  m = /^remove:([a-z][a-z0-9_]{0,63}):(\d{1,3})$/.exec(s)
  if (m) return { kind: 'remove', group: m[1]!, index: Number(m[2]) }
  return undefined
}

/** Applies an add/remove within the group's min and max; anything else leaves the answers as they are. */
export function applyAction (form: FormDefinition, raw: RawSubmission, action: PeopleAction): RawSubmission {
  const group = (form.people ?? []).find((g) => g.key === action.group)
  const list = raw.people[action.group]
  if (!group || !list) return raw
  const next = [...list]
  if (action.kind === 'add' && next.length < groupMax(group)) next.push(emptyPerson(group))
  if (action.kind === 'remove' && next.length > groupMin(group) && action.index < next.length) next.splice(action.index, 1)
  return { ...raw, people: { ...raw.people, [action.group]: next } }
}

/** Whose answers a list holds, for the error summary: a person of a group (numbered in a group of many), or none. */
interface Whose { heading?: string, person?: number }

function checkList (fields: Field[], raw: RawAnswers, t: Texts, today: string, whose: Whose,
  id: (f: string) => string, errors: PageError[]): Answers {
  const out: Answers = {}
  for (const f of fields) {
    if (!conditionHolds(f, (n) => raw[n])) continue // hidden by show_if: not validated, not sent
    const result = checkAnswer(f, raw[f.name] ?? emptyRaw(f), t, today)
    if (!result.ok) {
      const summary = t.whose(result.message, { label: f.label, ...whose })
      errors.push({ id: id(f.name), message: result.message, ...(summary !== result.message && { summary }) })
    } else if (result.answer) out[f.name] = result.answer
  }
  return out
}

export type CheckResult = { ok: true, answers: CheckedSubmission } | { ok: false, errors: PageError[] }

/** Checks every shown field and every group's number of people. Errors come in page order. */
export function checkSubmission (form: FormDefinition, raw: RawSubmission, t: Texts, today: string): CheckResult {
  const errors: PageError[] = []
  const people: Record<string, Answers[]> = {}
  for (const g of form.people ?? []) {
    const list = raw.people[g.key] ?? []
    if (list.length > groupMax(g)) errors.push({ id: groupId(g.key), message: t.err.tooManyPeople(g.heading, groupMax(g)) })
    if (list.length < groupMin(g)) errors.push({ id: groupId(g.key), message: t.err.tooFewPeople(g.heading, groupMin(g)) })
    const many = groupMax(g) > 1
    people[g.key] = list.map((person, i) => checkList(g.fields, person, t, today,
      { heading: g.heading, ...(many && { person: i + 1 }) }, (f) => inputId(g.key, i, f), errors))
  }
  const fields = checkList(form.fields ?? [], raw.fields, t, today, {}, (f) => inputId(undefined, 0, f), errors)
  return errors.length > 0 ? { ok: false, errors } : { ok: true, answers: { fields, people } }
}
