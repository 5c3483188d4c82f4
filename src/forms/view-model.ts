/**
 * Everything a form page shows, worked out here so the templates only print: ids, names, values,
 * errors, hints, the add/remove buttons. Templates escape every value (Eta `<%= %>`).
 */
import { fieldType, type DateInput, type RawValue } from './fields.js'
import type { Field, FieldType, FormDefinition, PeopleGroup } from './schema.js'
import { groupId, groupMax, groupMin, inputId, inputName, type PageError, type RawAnswers, type RawSubmission } from './submission.js'
import { texts, type Texts } from './texts.js'

/** The honeypot: a field people never see; software that fills in everything fills it in. */
export const HONEYPOT_FIELD = '_website'
/** Where "Exit this page" goes: a neutral site, as the GOV.UK component does. */
export const QUICK_EXIT_URL = 'https://www.bbc.co.uk/weather'

export interface OptionView { id: string, value: string, label: string, checked: boolean }

export interface FieldView {
  type: FieldType
  /** The template in views/fields/: one-line text types share `input`. */
  partial: string
  id: string
  name: string
  label: string
  optional: boolean
  hint: string | undefined
  /** Without JavaScript, the condition of a `show_if` field is said in its hint. */
  conditionHint: string | undefined
  /** For the enhancement script: the input name this field depends on, and the values that show it. */
  showIf: { name: string, values: string[] } | undefined
  error: string | undefined
  value: string
  date: DateInput
  options: OptionView[]
  inputType: string
  inputmode: string | undefined
  autocomplete: string | undefined
  spellcheck: boolean | undefined
  maxLength: number | undefined
  describedBy: string | undefined
}

/**
 * `remove` exists for every person of a group that can have more than one; `hidden` while at the
 * minimum. `id` is the person's fieldset (focusable), where a no-JavaScript "Add another person" lands.
 */
export interface PersonView {
  index: number
  id: string
  legend: string
  fields: FieldView[]
  remove: { value: string, label: string, hidden: boolean, formaction: string } | undefined
}
export interface GroupView {
  id: string
  key: string
  heading: string
  many: boolean
  people: PersonView[]
  /**
   * Present when the group can have more than one person; `hidden` at the maximum. `formaction` ends
   * with the new person's fragment, so without JavaScript the page comes back at that person.
   */
  add: { value: string, label: string, hidden: boolean, formaction: string } | undefined
  error: string | undefined
  max: number
  min: number
  /** For the enhancement script: the legend and remove label, `{n}` standing for the person's number. */
  personLabel: string
  removeLabel: string
}

export interface FormPageView {
  lang: string
  title: string
  intro: string[]
  errors: PageError[]
  groups: GroupView[]
  fields: FieldView[]
  action: string
  t: Texts
}

export function paragraphs (text: string | undefined): string[] {
  return (text ?? '').split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '')
}

function optionLabel (list: Field[], name: string, value: string): string {
  const f = list.find((x) => x.name === name)
  if (f && 'options' in f) return f.options.find((o) => o.value === value)?.label ?? value
  if (f?.type === 'checkbox') return value === '1' ? 'ticked' : value
  return value
}

function fieldView (f: Field, list: Field[], raw: RawValue | undefined, id: string, name: (n: string) => string,
  errors: Map<string, string>, t: Texts): FieldView {
  const str = typeof raw === 'string' ? raw : ''
  const chosen = new Set(Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [])
  const kind = fieldType(f)
  const input = kind.input
  const cond = f.show_if
  const values = cond ? ('equals' in cond ? [cond.equals] : cond.in) : []
  const condLabel = cond ? list.find((x) => x.name === cond.field)?.label ?? cond.field : ''
  const error = errors.get(id)
  const hint = f.hint
  const conditionHint = cond ? t.showIfHint(condLabel, values.map((v) => optionLabel(list, cond.field, v))) : undefined
  const describedBy = [hint || kind.alwaysHinted ? `${id}-hint` : '', conditionHint ? `${id}-cond` : '', error ? `${id}-error` : '']
    .filter(Boolean).join(' ') || undefined
  return {
    type: f.type,
    partial: kind.partial,
    id,
    name: name(f.name),
    label: f.label,
    optional: !f.required && !kind.neverOptional,
    hint,
    conditionHint,
    showIf: cond ? { name: name(cond.field), values } : undefined,
    error,
    value: f.type === 'hidden' ? f.value : str,
    date: raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : { day: '', month: '', year: '' },
    options: 'options' in f ? f.options.map((o, j) => ({ id: j === 0 ? id : `${id}-${j}`, value: o.value, label: o.label, checked: chosen.has(o.value) })) : [],
    inputType: input?.type ?? 'text',
    inputmode: input?.inputmode,
    autocomplete: f.autocomplete ?? kind.autocomplete,
    spellcheck: input?.spellcheck,
    maxLength: 'max_length' in f ? f.max_length : undefined,
    describedBy,
  }
}

/** The id of a person's fieldset: `f-{group}-{i}-_person` (field names cannot start with `_`, so no clash). */
export const personId = (group: string, index: number) => inputId(group, index, '_person')

function personView (g: PeopleGroup, person: RawAnswers, i: number, count: number, errors: Map<string, string>, t: Texts, action: string): PersonView {
  const many = groupMax(g) > 1
  return {
    index: i,
    id: personId(g.key, i),
    legend: many ? t.person(i + 1) : g.heading,
    fields: g.fields.map((f) => fieldView(f, g.fields, person[f.name], inputId(g.key, i, f.name), (n) => inputName(g.key, i, n), errors, t)),
    remove: many ? { value: `remove:${g.key}:${i}`, label: t.removePerson(i + 1), hidden: count <= groupMin(g), formaction: `${action}#${groupId(g.key)}` } : undefined,
  }
}

/** `errors` may be empty (first view, or an add/remove round trip, which shows no errors). */
export function formPageView (form: FormDefinition, raw: RawSubmission, errors: PageError[], t: Texts, action: string): FormPageView {
  const byId = new Map<string, string>()
  for (const e of errors) if (!byId.has(e.id)) byId.set(e.id, e.message)
  const groups = (form.people ?? []).map((g): GroupView => {
    const list = raw.people[g.key] ?? []
    return {
      id: groupId(g.key),
      key: g.key,
      heading: g.heading,
      many: groupMax(g) > 1,
      people: list.map((p, i) => personView(g, p, i, list.length, byId, t, action)),
      add: groupMax(g) > 1
        ? { value: `add:${g.key}`, label: g.add_another ?? t.addAnother, hidden: list.length >= groupMax(g), formaction: `${action}#${personId(g.key, list.length)}` }
        : undefined,
      error: byId.get(groupId(g.key)),
      max: groupMax(g),
      min: groupMin(g),
      personLabel: t.person(0).replace('0', '{n}'),
      removeLabel: t.removePerson(0).replace('0', '{n}'),
    }
  })
  const top = form.fields ?? []
  return {
    lang: t.lang,
    title: form.title,
    intro: paragraphs(form.intro),
    errors,
    groups,
    fields: top.map((f) => fieldView(f, top, raw.fields[f.name], inputId(undefined, 0, f.name), (n) => n, byId, t)),
    action,
    t,
  }
}

export interface FormPageOptions {
  /** Where the form posts to. */
  action: string
  /** The form token (public pages) or the CSRF token (the staff preview). */
  hiddenInputs: Array<{ name: string, value: string }>
  /** A one-line note above the form; `problem` ones put "Error:" in the title as errors do. */
  notice?: { text: string, problem: boolean } | undefined
  /** Said before the form's title in the page title ("Preview: "). */
  titlePrefix?: string
  /** The embedding page's origin, when the form is in an allowed iframe. */
  embedOrigin?: string | undefined
}

/** Everything the form template is given, for visitors and for the staff preview alike. */
export function formPage (form: FormDefinition, raw: RawSubmission, errors: PageError[], o: FormPageOptions) {
  const t = texts[form.language ?? 'en']
  const problem = errors.length > 0 || o.notice?.problem === true
  return {
    ...formPageView(form, raw, errors, t, o.action),
    pageTitle: (problem ? t.errorTitlePrefix(Math.max(errors.length, 1)) : '') + (o.titlePrefix ?? '') + form.title,
    embedOrigin: o.embedOrigin,
    notice: o.notice?.text,
    // "Exit this page" stays on every page of the form (as GOV.UK's component).
    quickExit: form.quick_exit ? QUICK_EXIT_URL : undefined,
    hiddenInputs: o.hiddenInputs,
    honeypot: HONEYPOT_FIELD,
    about: aboutLines(form, t),
  }
}

/** The form's "who is asking" lines, where its file gives them: the privacy notice, a phone number, an email address. */
export function aboutLines (form: FormDefinition, t: Texts): { heading: string, lines: Array<{ label: string, href: string, text: string }> } | undefined {
  const lines = [
    ...(form.contact?.phone ? [{ label: t.about.phone, href: `tel:${form.contact.phone.replace(/[^+0-9]/g, '')}`, text: form.contact.phone }] : []),
    ...(form.contact?.email ? [{ label: t.about.email, href: `mailto:${form.contact.email}`, text: form.contact.email }] : []),
    ...(form.privacy_notice ? [{ label: '', href: form.privacy_notice, text: t.about.privacy }] : []),
  ]
  return lines.length > 0 ? { heading: t.about.heading, lines } : undefined
}
