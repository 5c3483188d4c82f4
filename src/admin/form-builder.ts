/**
 * The visual form builder's domain (issue 14): a form's questions as staff see them, changes kept in the
 * form's draft (FormDraftStore) until someone publishes it, and publishing through the form editor (the
 * same checks as `npm run forms:check`, the same atomic save and history, with who published it).
 *
 * The draft is the form file's whole YAML text, changed with the Document API (src/forms/yaml-edit.ts),
 * so the comments and order a person wrote stay and the builder and the YAML editor can be mixed. Every
 * change names what the page it came from showed (`seen`: the draft's version, or the live form's hash
 * before there is a draft); when someone else changed it since, the change is refused and theirs stands.
 */
import { parseDocument, type Document } from 'yaml'
import { FIELD_TYPES } from '../forms/fields.js'
import { parseFormText, type FormProblem } from '../forms/load.js'
import { publishGate } from '../forms/publish-gate.js'
import type { FieldType } from '../forms/schema.js'
import { editText, EditError, type ListPath } from '../forms/yaml-edit.js'
import type { FormDraft, FormDraftStore } from '../storage/types.js'
import type { FormEditor, SaveResult } from './form-editor.js'

export interface Working {
  id: string
  text: string
  /** What a page shows this as, to send back with a change: `d<version>` (the draft), or `l<hash>` (the live form, no draft yet). */
  seen: string
  draft: FormDraft | undefined
  /** The live form's hash; undefined when the form is not live. */
  liveHash: string | undefined
}

/** Where a list of questions is, as a page names it: `fields` (the referral's) or `people-<n>` (a group's). */
export type ListName = 'fields' | `people-${number}`

export function listPath (name: string): ListPath | undefined {
  if (name === 'fields') return ['fields']
  const m = /^people-(\d{1,2})$/.exec(name)
  return m ? ['people', Number(m[1]), 'fields'] : undefined
}

export interface QuestionOutline {
  list: ListName
  index: number
  name: string
  label: string
  type: string
  /** The type in words (FIELD_TYPES' summary), or that the type is not known. */
  typeSummary: string
  required: boolean
  /** Where the answer goes in the CRM, in words. */
  sentAs: string
  /** "Only if <question> is <answer>", when it has show_if. */
  showIf: string | undefined
  first: boolean
  last: boolean
}

export interface GroupOutline { index: number, key: string, heading: string, people: string, questions: QuestionOutline[] }

export interface Outline {
  title: string
  destination: string
  groups: GroupOutline[]
  questions: QuestionOutline[]
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {})
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback)

function questionsOf (fields: unknown, listName: ListName): QuestionOutline[] {
  const items = list(fields)
  const labels = new Map(items.map((f) => [str(obj(f).name), str(obj(f).label, str(obj(f).name))]))
  /** An answer's words, as visitors see them: an option's label, "ticked" for a tick box, else the value. */
  const answerWords = (fieldName: string, value: string) => {
    const f = obj(items.find((i) => str(obj(i).name) === fieldName))
    if (f.type === 'checkbox') return 'ticked'
    const option = list(f.options).map(obj).find((o) => str(o.value) === value)
    return option ? `answered “${str(option.label)}”` : `answered “${value}”`
  }
  return items.map((raw, index) => {
    const f = obj(raw)
    const type = str(f.type)
    const known = Object.hasOwn(FIELD_TYPES, type) ? FIELD_TYPES[type as FieldType] : undefined
    const to = f.to
    const cond = obj(f.show_if)
    const wanted = cond.equals !== undefined ? [str(cond.equals)] : list(cond.in).map((v) => str(v))
    return {
      list: listName,
      index,
      name: str(f.name),
      label: str(f.label, '(no question text)'),
      type,
      typeSummary: known ? known.summary : `"${type}" is not a type the forms know`,
      required: f.required === true,
      sentAs: to === false ? 'Not sent to the CRM' : typeof to === 'string' ? to : `${str(f.name)} (its name)`,
      showIf: cond.field === undefined ? undefined : `Only if “${labels.get(str(cond.field)) ?? str(cond.field)}” is ${wanted.map((w) => answerWords(str(cond.field), w)).join(' or ')}`,
      first: index === 0,
      last: index === items.length - 1,
    }
  })
}

/** The questions in the order visitors see them: the people groups, then the referral's own. Works on a draft that does not pass the checks. */
export function outline (text: string): Outline {
  const data = obj(parseDocument(text).toJS())
  const dest = obj(data.destination)
  return {
    title: str(data.title, '(no title)'),
    destination: dest.type === 'charitylog' ? 'Charitylog' : dest.type === 'lamplight' ? 'Lamplight' : 'no CRM set',
    groups: list(data.people).map((raw, index) => {
      const g = obj(raw)
      const min = typeof g.min === 'number' ? g.min : 1
      const max = typeof g.max === 'number' ? g.max : 1
      return {
        index,
        key: str(g.key),
        heading: str(g.heading, str(g.key)),
        people: min === max ? `${min} ${min === 1 ? 'person' : 'people'}` : `${min} to ${max} people`,
        questions: questionsOf(g.fields, `people-${index}`),
      }
    }),
    questions: questionsOf(data.fields, 'fields'),
  }
}

/** The question a problem is about (`people[1].fields[3].label` → people-1, 3), to link to it. */
export function questionOf (problem: FormProblem): { list: ListName, index: number } | undefined {
  const m = /^(?:people\[(\d+)\]\.)?fields\[(\d+)\]/.exec(problem.path)
  if (!m) return undefined
  return { list: m[1] === undefined ? 'fields' : `people-${Number(m[1])}`, index: Number(m[2]) }
}

/**
 * A new form for the builder: the least a form of that CRM needs (a person with a first and last name,
 * and how we can help), with the CRM's own ID left to choose from what the CRM lists (the Destination
 * and group pages). Not live until published.
 */
export function skeleton (kind: 'charitylog' | 'lamplight', id: string, title: string): string {
  const name = ['      - { name: first_name, label: First name, type: text, required: true, autocomplete: given-name }',
    '      - { name: surname, label: Last name, type: text, required: true, autocomplete: family-name }']
  const [destination, crm] = kind === 'lamplight'
    ? ['destination:\n  type: lamplight\n  workareaid: 0 # chosen on the Destination page\n  attendee: client\n  reason: reason', '    lamplight: { role: user }']
    : ['destination:\n  type: charitylog\n  description: reason', '    charitylog: { org_type_id: 0 } # chosen on the group\'s page']
  return [`id: ${id}`, `title: ${JSON.stringify(title)}`, destination, 'people:', '  - key: client',
    `    heading: ${kind === 'lamplight' ? 'The person being referred' : 'About you'}`, crm, '    fields:', ...name,
    'fields:', '  - { name: reason, label: How can we help?, type: textarea, required: true }', ''].join('\n')
}

export type ChangeResult =
  | { ok: true, seen: string }
  /** The draft (or the live form) is not what the page showed: nothing changed. */
  | { ok: false, reason: 'changed', working: Working }
  | { ok: false, reason: 'missing' }
  /** The change could not be made to this text (not YAML we can change, a question that is not there). */
  | { ok: false, reason: 'cannot', message: string }

export type PublishResult =
  | { ok: true, unchanged: boolean }
  | { ok: false, reason: 'changed', working: Working }
  | { ok: false, reason: 'nothing' | 'missing' | 'read-only' }
  | { ok: false, reason: 'problems', problems: FormProblem[] }
  /** The live form was saved (in the YAML editor, or by another draft) since this draft began. */
  | { ok: false, reason: 'live-changed' }

export interface FormBuilder {
  working (id: string): Promise<Working | undefined>
  /** Applies `edit` to the draft (started from the live form if there is none), if `seen` is still so. */
  change (id: string, seen: string, actor: string, edit: (doc: Document) => void): Promise<ChangeResult>
  publish (id: string, seen: string, actor: string): Promise<PublishResult>
  discard (id: string, seen: string): Promise<boolean>
  /** Starts a draft of a new form (false when a draft of that id exists). */
  start (id: string, text: string, actor: string): Promise<boolean>
}

export function createFormBuilder (o: { editor: FormEditor, drafts: FormDraftStore, now: () => number }): FormBuilder {
  async function working (id: string): Promise<Working | undefined> {
    const [draft, live] = await Promise.all([o.drafts.get(id), o.editor.read(id)])
    if (draft) return { id, text: draft.text, seen: `d${draft.version}`, draft, liveHash: live?.hash }
    if (!live) return undefined
    return { id, text: live.text, seen: `l${live.hash}`, draft: undefined, liveHash: live.hash }
  }

  return {
    working,
    async change (id, seen, actor, edit) {
      const w = await working(id)
      if (!w) return { ok: false, reason: 'missing' }
      if (w.seen !== seen) return { ok: false, reason: 'changed', working: w }
      let text: string
      try {
        text = editText(w.text, edit)
      } catch (err) {
        if (err instanceof EditError) return { ok: false, reason: 'cannot', message: err.message }
        throw err
      }
      const saved = await o.drafts.save({ formId: id, text, base: w.draft ? w.draft.base : (w.liveHash ?? null), expected: w.draft?.version, at: o.now(), by: actor })
      if (!saved.ok) return { ok: false, reason: 'changed', working: (await working(id))! }
      return { ok: true, seen: `d${saved.version}` }
    },
    async publish (id, seen, actor) {
      const w = await working(id)
      if (!w) return { ok: false, reason: 'missing' }
      if (w.seen !== seen) return { ok: false, reason: 'changed', working: w }
      if (!w.draft) return { ok: false, reason: 'nothing' }
      const checked = parseFormText(`${id}.yaml`, w.text)
      if (!checked.ok) return { ok: false, reason: 'problems', problems: checked.problems }
      const gate = publishGate(checked.form.definition, `${id}.yaml`)
      if (gate.length > 0) return { ok: false, reason: 'problems', problems: gate }
      const saved: SaveResult = await o.editor.save(id, w.text, w.draft.base ?? undefined, actor)
      if (!saved.ok) {
        if (saved.reason === 'invalid') return { ok: false, reason: 'problems', problems: saved.problems }
        if (saved.reason === 'read-only') return { ok: false, reason: 'read-only' }
        return { ok: false, reason: 'live-changed' }
      }
      await o.drafts.discard(id, w.draft.version)
      return { ok: true, unchanged: saved.unchanged }
    },
    async start (id, text, actor) {
      const saved = await o.drafts.save({ formId: id, text, base: null, expected: undefined, at: o.now(), by: actor })
      return saved.ok
    },
    async discard (id, seen) {
      const w = await working(id)
      if (!w?.draft || w.seen !== seen) return false
      return o.drafts.discard(id, w.draft.version)
    },
  }
}
