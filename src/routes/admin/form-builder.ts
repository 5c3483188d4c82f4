/**
 * The form builder's pages (issue 14), for Editors and Admins: a form's questions as visitors meet them
 * (people groups, then the referral's questions) with their type, whether they are required and where the
 * answer goes in the CRM; Change (question text, hint, required), Move up / Move down and Delete, each a
 * plain form post that works without JavaScript; Preview, Publish and Discard for the draft.
 * Every change goes into the form's draft (src/admin/form-builder.ts); the live form changes only when
 * someone publishes, after the same checks as `npm run forms:check`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { testConnection, type CrmItem } from '../../admin/connections.js'
import { listPath, outline, questionOf, type Working } from '../../admin/form-builder.js'
import { ukTime } from '../../admin/format.js'
import { asShown } from '../../forms/confirm-email.js'
import type { Body } from '../../forms/fields.js'
import { parseFormText, type FormProblem } from '../../forms/load.js'
import { publishGate } from '../../forms/publish-gate.js'
import { addItem, deleteItem, moveItem, setKeys, type ListPath } from '../../forms/yaml-edit.js'
import type { FieldType } from '../../forms/schema.js'
import { ADDABLE_TYPES, withType, applyOptionAction, blankValues, checkValues, CHOICE_TYPES, isAddable, newName, readValues, showIfChoices, TYPE_EXAMPLES, typeSummary, valuesOf, type QuestionValues } from '../../admin/question-form.js'
import { parseDocument } from 'yaml'
import { previewHandlers } from './form-preview.js'
import { actor, flash, renderPage, seeOther, type RouteOptions } from './render.js'

interface IdParams { id: string }
interface Where { list?: unknown, index?: unknown }
type Posted = Where & { seen?: unknown, dir?: unknown, type?: unknown, _action?: unknown }

const text = (v: unknown) => (typeof v === 'string' ? v : '')

/** The question a request names (`list`, `index`), if the draft has it. */
function whereOf (w: Where, outlined: ReturnType<typeof outline>) {
  const path = listPath(text(w.list))
  const index = Number(text(w.index))
  if (!path || !Number.isInteger(index) || index < 0) return undefined
  const questions = path[0] === 'fields' ? outlined.questions : outlined.groups[path[1]]?.questions
  const q = questions?.[index]
  return q && { path, index, q }
}

/** Problems that the Form settings page puts right. */
const SETTINGS_KEYS = /^(title|intro|privacy_notice|contact|confirmation)\b/

/** A group's Charitylog keys from its page: client type, referral role, and relationship to another group. */
function charitylogOf (v: Record<string, string>): Record<string, unknown> {
  return {
    org_type_id: Number(v.org_type_id),
    referral_role: v.referral_role === '' ? undefined : Number(v.referral_role),
    relationship: v.related_to === '' ? undefined : { to: v.related_to, id: Number(v.relationship_id) },
  }
}

/** The publish gate's keys (publish-gate.ts), whose messages say it all. */
const GATE_KEYS = /^(privacy_notice|contact|confirmation\.body|destination\.workareaid|people\[\d+\]\.charitylog\.org_type_id)$/

const questionHref = (id: string, list: string, index: number) => `/admin/forms/${id}/build/question?list=${list}&index=${index}`

export default async function formBuilderRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { config, relay, forms } = app.services
  const { builder } = ctx
  const mailOn = config.mail !== undefined

  /** The overview: the draft (or the live form), and what is wrong with it when publishing was refused. */
  async function overview (reply: FastifyReply, w: Working, o: { status?: number, problems?: FormProblem[], warning?: string } = {}) {
    const outlined = outline(w.text)
    /** A problem in plain words: about a question, named by its text; the publish gate's, as they are; else with where it is. */
    const say = (p: FormProblem) => {
      const at = questionOf(p)
      const q = at && (at.list === 'fields' ? outlined.questions : outlined.groups[Number(at.list.slice(7))]?.questions)?.[at.index]
      if (q) return `“${q.label}”: ${p.message}`
      if (GATE_KEYS.test(p.path)) return p.message.charAt(0).toUpperCase() + p.message.slice(1)
      return p.path ? `${p.path}: ${p.message}` : p.message
    }
    // What stops the draft being published, shown while there is a draft; as errors when publishing was refused.
    const checked = w.draft && !o.problems ? parseFormText(`${w.id}.yaml`, w.text) : undefined
    const pending = !checked ? [] : checked.ok ? publishGate(checked.form.definition, `${w.id}.yaml`) : checked.problems
    const toFix = pending.map((p) => {
      const at = questionOf(p)
      const href = at ? questionHref(w.id, at.list, at.index) : SETTINGS_KEYS.test(p.path) ? `/admin/forms/${w.id}/build/settings` : undefined
      return { text: say(p), href }
    })
    // GOV.UK's task list: what is left before the form can go live, by part of the form.
    const parsed = checked ?? parseFormText(`${w.id}.yaml`, w.text)
    const open = parsed.ok ? publishGate(parsed.form.definition, `${w.id}.yaml`) : parsed.problems
    const questionCount = outlined.questions.length + outlined.groups.reduce((n, g) => n + g.questions.length, 0)
    const tasks = [
      { text: 'Form settings', hint: 'Title, who is asking, what happens next', href: `/admin/forms/${w.id}/build/settings`, done: !open.some((p) => SETTINGS_KEYS.test(p.path)) },
      { text: 'Where referrals go', hint: `The ${outlined.destination} IDs`, href: `/admin/forms/${w.id}/build/destination`, done: !open.some((p) => /^destination|charitylog\.org_type_id/.test(p.path)) },
      { text: 'Questions', hint: `${questionCount} question${questionCount === 1 ? '' : 's'}`, href: '#questions', done: !open.some((p) => questionOf(p) !== undefined) },
    ]
    const errors = (o.problems ?? []).map((p) => {
      const at = questionOf(p)
      return { id: at ? `q-${at.list}-${at.index}` : SETTINGS_KEYS.test(p.path) || /^destination/.test(p.path) ? 'tasks' : 'questions', message: say(p), href: at ? questionHref(w.id, at.list, at.index) : undefined }
    })
    return renderPage(reply, ctx, 'form-build', {
      pageTitle: `${errors.length > 0 ? 'Error: ' : ''}Questions of ${outlined.title}`,
      section: 'forms',
      quiet: errors.length > 0,
      id: w.id,
      outline: outlined,
      seen: w.seen,
      draft: w.draft && { by: w.draft.updated_by, at: ukTime(w.draft.updated_at) },
      live: w.liveHash !== undefined,
      errors,
      toFix,
      tasks,
      warning: o.warning,
    }, o.status ?? (errors.length > 0 ? 422 : 200))
  }

  /** Someone else changed the draft since the page was shown: theirs stands, and this is said plainly. */
  const conflict = (reply: FastifyReply, w: Working) => overview(reply, w, {
    status: 409,
    warning: `Someone else changed this form${w.draft ? ` (${w.draft.updated_by}, ${ukTime(w.draft.updated_at)})` : ''} since you opened the page, so your change was not made. This is the form as it is now: make your change again if it is still needed.`,
  })

  const found = (req: FastifyRequest<{ Params: IdParams }>) => builder.working(req.params.id)

  app.get<{ Params: IdParams }>('/forms/:id/build', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    return w ? overview(reply, w) : reply.callNotFound()
  })

  /** Applies a change to the draft and goes back to the overview (at `anchor`), or says why not. */
  async function change (req: FastifyRequest<{ Params: IdParams, Body: Posted }>, reply: FastifyReply, edit: Parameters<typeof builder.change>[3], anchor: string, done: string) {
    const result = await builder.change(req.params.id, text(req.body?.seen), actor(req), edit)
    if (result.ok) {
      flash(req, 'success', done)
      return seeOther(reply, `/admin/forms/${req.params.id}/build#${anchor}`)
    }
    if (result.reason === 'missing') return reply.callNotFound()
    if (result.reason === 'changed') return conflict(reply, result.working)
    const w = await builder.working(req.params.id)
    return overview(reply, w!, { status: 422, warning: result.message })
  }

  app.post<{ Params: IdParams, Body: Posted }>('/forms/:id/build/move', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = whereOf(req.body ?? {}, outline(w.text))
    const delta = req.body?.dir === 'up' ? -1 : req.body?.dir === 'down' ? 1 : undefined
    if (!at || delta === undefined) return overview(reply, w, { status: 400, warning: 'That question is not in the form any more: nothing was moved.' })
    return change(req, reply, (doc) => { moveItem(doc, at.path, at.index, delta) },
      `q-${text(req.body?.list)}-${at.index + delta}`, `Moved “${at.q.label}” ${delta < 0 ? 'up' : 'down'}.`)
  })

  /** The question's siblings in the draft (the list it is in), as the file has them. */
  const siblingsOf = (w: Working, path: ListPath) => {
    const items = parseDocument(w.text).getIn(path) as { toJSON?: () => unknown } | undefined
    const list = items?.toJSON?.()
    return (Array.isArray(list) ? list : []).map((f) => (f !== null && typeof f === 'object' ? f as Record<string, unknown> : {}))
  }

  /** The page for one question: a new one (`index` undefined) or one in the draft. */
  function questionPage (reply: FastifyReply, w: Working, list: string, index: number | undefined, values: QuestionValues, errors: Array<{ id: string, message: string }> = []) {
    const path = listPath(list)!
    const siblings = siblingsOf(w, path)
    const self = index === undefined ? undefined : String(siblings[index]?.name ?? '')
    return renderPage(reply, ctx, 'form-build-question', {
      pageTitle: `${errors.length > 0 ? 'Error: ' : ''}${index === undefined ? 'Add a question' : 'Change a question'} – ${outline(w.text).title}`,
      section: 'forms',
      quiet: true,
      id: w.id,
      seen: w.seen,
      list,
      index,
      values,
      typeSummary: typeSummary(values.type),
      choice: CHOICE_TYPES.includes(values.type),
      lengthType: ['text', 'textarea', 'email', 'tel', 'postcode', 'number'].includes(values.type),
      showIfChoices: showIfChoices(siblings, self),
      types: ADDABLE_TYPES.map((t) => ({ value: t, summary: typeSummary(t) })),
      errors,
      err: Object.fromEntries(errors.map((e) => [e.id, e.message])),
    }, errors.length > 0 ? 422 : 200)
  }

  app.get<{ Params: IdParams, Querystring: Where & { type?: string } }>('/forms/:id/build/question', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const list = text(req.query.list)
    if (req.query.index === undefined && listPath(list) && isAddable(text(req.query.type))) return questionPage(reply, w, list, undefined, blankValues(text(req.query.type) as FieldType))
    const at = whereOf(req.query, outline(w.text))
    if (!at) return seeOther(reply, `/admin/forms/${w.id}/build`)
    return questionPage(reply, w, list, at.index, valuesOf(siblingsOf(w, at.path)[at.index] ?? {}))
  })

  app.post<{ Params: IdParams, Body: Posted }>('/forms/:id/build/question', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const body = (req.body ?? {}) as Posted & Record<string, unknown>
    const list = text(body.list)
    const path = listPath(list)
    const adding = body.index === undefined || body.index === ''
    const at = adding ? undefined : whereOf(body, outline(w.text))
    const type = adding ? text(body.type) : at?.q.type ?? ''
    if (!path || (adding ? !isAddable(type) : !at)) return overview(reply, w, { status: 400, warning: 'That question is not in the form any more: nothing was changed.' })
    let values = readValues(body, type)
    const index = at?.index
    // "Change the type": the page again with the new type's settings, nothing saved yet.
    const newType = text(body.new_type)
    if (!adding && text(body._action) === 'change-type' && isAddable(newType) && newType !== type) return questionPage(reply, w, list, index, withType(values, newType))
    if (!adding && isAddable(newType) && newType !== type) values = withType(values, newType)
    // An options button: the same page again with a row more, fewer or moved; nothing saved yet.
    const moved = applyOptionAction(values, text(body._action))
    if (moved) return questionPage(reply, w, list, index, moved)
    const siblings = siblingsOf(w, path)
    const checked = checkValues(values, showIfChoices(siblings, index === undefined ? undefined : String(siblings[index]?.name ?? '')))
    if (!checked.ok) return questionPage(reply, w, list, index, values, checked.errors)
    if (index === undefined) {
      const name = newName(values.label, new Set(siblings.map((f) => String(f.name ?? ''))))
      const keys = Object.fromEntries(Object.entries(checked.keys).filter(([, v]) => v !== undefined))
      return change(req, reply, (doc) => { addItem(doc, path, { name, label: values.label, type, ...keys }) },
        `q-${list}-${siblings.length}`, `Added “${values.label}” to the draft.`)
    }
    return change(req, reply, (doc) => setKeys(doc, [...path, index], checked.keys), `q-${list}-${index}`, `Changed “${values.label}”.`)
  })

  app.get<{ Params: IdParams, Querystring: Where }>('/forms/:id/build/add', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const list = text(req.query.list)
    if (!listPath(list)) return seeOther(reply, `/admin/forms/${w.id}/build`)
    return renderPage(reply, ctx, 'form-build-add', {
      pageTitle: `Add a question – ${outline(w.text).title}`,
      section: 'forms',
      id: w.id,
      list,
      types: ADDABLE_TYPES.map((t) => ({ value: t, summary: typeSummary(t), example: TYPE_EXAMPLES[t] })),
      errors: [],
    })
  })

  /** The draft (or live form) as plain data, for pages that read a few of its keys. */
  const dataOf = (w: Working) => (parseDocument(w.text).toJSON() ?? {}) as Record<string, any>

  /** Form settings: the title and introduction, who is asking (the publish gate's keys), what happens next. */
  const settingsOf = (w: Working) => {
    const data = dataOf(w)
    const o = (v: unknown) => (v !== null && typeof v === 'object' ? v as Record<string, unknown> : {})
    return {
      title: text(data.title),
      intro: text(data.intro),
      privacy: text(data.privacy_notice),
      phone: text(o(data.contact).phone),
      email: text(o(data.contact).email),
      next: text(o(data.confirmation).body),
      offerEmail: o(data.confirmation).email === true,
    }
  }
  const settingsPage = (reply: FastifyReply, w: Working, values: ReturnType<typeof settingsOf>, errors: Array<{ id: string, message: string }> = []) =>
    renderPage(reply, ctx, 'form-build-settings', {
      pageTitle: `${errors.length > 0 ? 'Error: ' : ''}Form settings – ${outline(w.text).title}`,
      section: 'forms',
      quiet: true,
      id: w.id,
      seen: w.seen,
      values,
      errors,
      err: Object.fromEntries(errors.map((e) => [e.id, e.message])),
    }, errors.length > 0 ? 422 : 200)

  app.get<{ Params: IdParams }>('/forms/:id/build/settings', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    return w ? settingsPage(reply, w, settingsOf(w)) : reply.callNotFound()
  })

  app.post<{ Params: IdParams, Body: Record<string, unknown> }>('/forms/:id/build/settings', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const b = req.body ?? {}
    const values = {
      title: text(b.title).trim(),
      intro: text(b.intro).replace(/\r\n?/g, '\n').trim(),
      privacy: text(b.privacy).trim(),
      phone: text(b.phone).trim(),
      email: text(b.email).trim(),
      next: text(b.next).replace(/\r\n?/g, '\n').trim(),
      offerEmail: b.offer_email === 'yes',
    }
    const errors: Array<{ id: string, message: string }> = []
    if (values.title === '') errors.push({ id: 'title', message: 'Enter the form’s title, as visitors will see it' })
    if (values.privacy !== '' && !/^https?:\/\/[^\s]+\.[^\s]+$/.test(values.privacy)) errors.push({ id: 'privacy', message: 'Enter the privacy notice’s full address, starting with https://' })
    if (values.phone !== '' && !/^\+?[0-9][0-9 ()-]{4,22}[0-9]$/.test(values.phone)) errors.push({ id: 'phone', message: 'Enter a phone number of digits and spaces, like 01234 567890' })
    if (values.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) errors.push({ id: 'email', message: 'Enter an email address in the correct format, like help@example-charity.org.uk' })
    if (errors.length > 0) return settingsPage(reply, w, values, errors)
    const empty = (v: string) => (v === '' ? undefined : v)
    return change(req, reply, (doc) => {
      setKeys(doc, [], { title: values.title, intro: empty(values.intro), privacy_notice: empty(values.privacy) })
      if (values.phone === '' && values.email === '') setKeys(doc, [], { contact: undefined })
      else if (doc.getIn(['contact']) === undefined) setKeys(doc, [], { contact: { ...(values.phone && { phone: values.phone }), ...(values.email && { email: values.email }) } })
      else setKeys(doc, ['contact'], { phone: empty(values.phone), email: empty(values.email) })
      const confirmation = { body: empty(values.next), email: values.offerEmail ? true : undefined }
      if (doc.getIn(['confirmation']) === undefined) {
        if (confirmation.body !== undefined || confirmation.email) setKeys(doc, [], { confirmation: Object.fromEntries(Object.entries(confirmation).filter(([, v]) => v !== undefined)) })
      } else setKeys(doc, ['confirmation'], confirmation)
    }, 'settings', 'The form settings are saved in the draft.')
  })

  /** What the CRM lists (Lamplight's workareas, Charitylog's client types), asked now; undefined when it cannot say. */
  async function crmChoices (type: string): Promise<Array<{ id: string, name: string }> | undefined> {
    if (type !== 'lamplight' && type !== 'charitylog') return undefined
    if (!relay.crms.adapters[type]) return undefined
    const test = await testConnection(relay.crms, type, forms.list().map((f) => f.definition))
    if (!test.ok || !test.items) return undefined
    const flat: Array<{ id: string, name: string }> = []
    const walk = (items: CrmItem[], prefix: string) => { for (const i of items) { flat.push({ id: i.id, name: `${prefix}${i.name}` }); walk(i.children, `${prefix}${i.name} › `) } }
    walk(test.items, '')
    return flat
  }

  /** A people group's page: a new one (`index` undefined) or one of the draft. */
  async function groupPage (reply: FastifyReply, w: Working, index: number | undefined, values: Record<string, string>, errors: Array<{ id: string, message: string }> = []) {
    const data = dataOf(w)
    const type = String(data.destination?.type ?? '')
    return renderPage(reply, ctx, 'form-build-group', {
      pageTitle: `${errors.length > 0 ? 'Error: ' : ''}${index === undefined ? 'Add a group of people' : 'Change a group of people'} – ${outline(w.text).title}`,
      section: 'forms',
      quiet: true,
      id: w.id,
      seen: w.seen,
      index,
      values,
      type,
      clientTypes: type === 'charitylog' ? await crmChoices(type) : undefined,
      // Charitylog: the other groups a group's people can be related to (a carer to the people they care for).
      others: (Array.isArray(data.people) ? data.people : []).map((g: Record<string, unknown>, i: number) => ({ key: String(g.key ?? ''), heading: String(g.heading ?? g.key ?? ''), i }))
        .filter((g: { i: number }) => g.i !== index),
      needsRole: type === 'charitylog' && data.destination?.source !== undefined,
      errors,
      err: Object.fromEntries(errors.map((e) => [e.id, e.message])),
    }, errors.length > 0 ? 422 : 200)
  }

  app.get<{ Params: IdParams, Querystring: { index?: string } }>('/forms/:id/build/group', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const data = dataOf(w)
    if (req.query.index === undefined) return groupPage(reply, w, undefined, { heading: '', min: '1', max: '1', add_another: '', part: 'referrer', role: 'contact', org_type_id: '', referral_role: '', related_to: '', relationship_id: '' })
    const index = Number(req.query.index)
    const g = Array.isArray(data.people) ? data.people[index] : undefined
    if (!Number.isInteger(index) || !g) return seeOther(reply, `/admin/forms/${w.id}/build`)
    const part = data.destination?.referrer === g.key ? 'referrer' : 'attendee'
    return groupPage(reply, w, index, {
      heading: text(g.heading),
      min: String(g.min ?? 1),
      max: String(g.max ?? 1),
      add_another: text(g.add_another),
      part,
      role: text(g.lamplight?.role) || 'user',
      org_type_id: g.charitylog?.org_type_id ? String(g.charitylog.org_type_id) : '',
      referral_role: g.charitylog?.referral_role !== undefined ? String(g.charitylog.referral_role) : '',
      related_to: text(g.charitylog?.relationship?.to),
      relationship_id: g.charitylog?.relationship?.id !== undefined ? String(g.charitylog.relationship.id) : '',
    })
  })

  app.post<{ Params: IdParams, Body: Record<string, unknown> }>('/forms/:id/build/group', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const b = req.body ?? {}
    const data = dataOf(w)
    const people: Array<Record<string, any>> = Array.isArray(data.people) ? data.people : []
    const index = b.index === undefined || b.index === '' ? undefined : Number(text(b.index))
    if (index !== undefined && (!Number.isInteger(index) || !people[index])) return overview(reply, w, { status: 400, warning: 'That group is not in the form any more: nothing was changed.' })
    const type = String(data.destination?.type ?? '')
    const values = {
      heading: text(b.heading).trim(),
      min: text(b.min).trim() || '1',
      max: text(b.max).trim() || '1',
      add_another: text(b.add_another).trim(),
      part: text(b.part) === 'attendee' ? 'attendee' : 'referrer',
      role: text(b.role) === 'user' ? 'user' : 'contact',
      org_type_id: text(b.org_type_id).trim(),
      referral_role: text(b.referral_role).trim(),
      related_to: text(b.related_to),
      relationship_id: text(b.relationship_id).trim(),
    }
    const errors: Array<{ id: string, message: string }> = []
    if (values.heading === '') errors.push({ id: 'heading', message: 'Enter a heading for the group, such as “About you”' })
    const min = /^\d{1,2}$/.test(values.min) ? Number(values.min) : NaN
    const max = /^\d{1,2}$/.test(values.max) ? Number(values.max) : NaN
    if (!(min >= 0 && min <= 50)) errors.push({ id: 'min', message: 'Enter the fewest people as a whole number from 0 to 50' })
    if (!(max >= 1 && max <= 50)) errors.push({ id: 'max', message: 'Enter the most people as a whole number from 1 to 50' })
    else if (min > max) errors.push({ id: 'max', message: 'The most people must not be fewer than the fewest' })
    if (type === 'lamplight' && (min !== 1 || max !== 1)) errors.push({ id: 'max', message: 'For Lamplight, each group is one person: the one referred, or the one referring them' })
    if (type === 'charitylog' && !/^\d{1,9}$/.test(values.org_type_id)) errors.push({ id: 'org_type_id', message: 'Choose the Charitylog client type of these people' })
    if (type === 'charitylog') {
      const needsRole = data.destination?.source !== undefined
      if ((needsRole || values.referral_role !== '') && !/^\d{1,9}$/.test(values.referral_role)) errors.push({ id: 'referral_role', message: 'Enter their referral role as Charitylog numbers it, such as 1' })
      if (values.related_to !== '' && !people.some((g, i) => String(g.key) === values.related_to && i !== index)) errors.push({ id: 'related_to', message: 'Choose another group from the list' })
      if (values.related_to !== '' && !/^\d{1,9}$/.test(values.relationship_id)) errors.push({ id: 'relationship_id', message: 'Enter the relationship type as Charitylog numbers it, such as 3' })
    }
    if (errors.length > 0) return groupPage(reply, w, index, values, errors)
    const group = {
      heading: values.heading,
      min: min === 1 ? undefined : min,
      max: max === 1 ? undefined : max,
      add_another: max > 1 && values.add_another !== '' ? values.add_another : undefined,
    }
    if (index === undefined) {
      const key = newName(values.heading, new Set(people.map((g) => String(g.key ?? ''))))
      return change(req, reply, (doc) => {
        addItem(doc, ['people'], {
          key,
          ...Object.fromEntries(Object.entries(group).filter(([, v]) => v !== undefined)),
          ...(type === 'lamplight' && { lamplight: { role: values.role } }),
          ...(type === 'charitylog' && { charitylog: JSON.parse(JSON.stringify(charitylogOf(values))) as object }),
          fields: [{ name: 'first_name', label: 'First name', type: 'text', required: true }, { name: 'surname', label: 'Last name', type: 'text', required: true }],
        })
        if (type === 'lamplight') setKeys(doc, ['destination'], { [values.part]: key })
      }, 'questions', `Added the group “${values.heading}”, with a first and last name to start.`)
    }
    const key = String(people[index]!.key)
    return change(req, reply, (doc) => {
      setKeys(doc, ['people', index], group)
      if (type === 'lamplight') {
        setKeys(doc, ['people', index, 'lamplight'], { role: values.role })
        const other = values.part === 'attendee' ? 'referrer' : 'attendee'
        setKeys(doc, ['destination'], { [values.part]: key, ...(data.destination?.[other] === key && { [other]: undefined }) })
      }
      if (type === 'charitylog') setKeys(doc, ['people', index, 'charitylog'], charitylogOf(values))
    }, 'questions', `Changed the group “${values.heading}”.`)
  })

  /** The group a request names, if the draft has it. */
  const groupAt = (w: Working, raw: unknown) => {
    const index = Number(text(raw))
    const { people: list } = dataOf(w)
    const people: Array<Record<string, any>> = Array.isArray(list) ? list : []
    return Number.isInteger(index) && people[index] ? { index, group: people[index]!, count: people.length } : undefined
  }

  app.post<{ Params: IdParams, Body: Record<string, unknown> }>('/forms/:id/build/group/move', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = groupAt(w, req.body?.index)
    const delta = req.body?.dir === 'up' ? -1 : req.body?.dir === 'down' ? 1 : undefined
    if (!at || delta === undefined) return overview(reply, w, { status: 400, warning: 'That group is not in the form any more: nothing was moved.' })
    return change(req, reply, (doc) => { moveItem(doc, ['people'], at.index, delta) }, 'questions', `Moved the group “${text(at.group.heading)}” ${delta < 0 ? 'up' : 'down'}.`)
  })

  app.get<{ Params: IdParams, Querystring: { index?: string } }>('/forms/:id/build/group/delete', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = groupAt(w, req.query.index)
    if (!at) return seeOther(reply, `/admin/forms/${w.id}/build`)
    return renderPage(reply, ctx, 'form-build-group-delete', { pageTitle: `Delete the group “${text(at.group.heading)}”?`, section: 'forms', id: w.id, seen: w.seen, index: at.index, heading: text(at.group.heading) })
  })

  app.post<{ Params: IdParams, Body: Record<string, unknown> }>('/forms/:id/build/group/delete', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = groupAt(w, req.body?.index)
    if (!at) return overview(reply, w, { status: 400, warning: 'That group is not in the form any more: nothing was deleted.' })
    const destination = dataOf(w).destination ?? {}
    if (destination.type === 'lamplight' && destination.attendee === at.group.key) {
      return overview(reply, w, { status: 422, warning: 'The person being referred cannot be taken out of a Lamplight form: every referral is about them.' })
    }
    return change(req, reply, (doc) => {
      deleteItem(doc, ['people'], at.index)
      if (destination.referrer === at.group.key) setKeys(doc, ['destination'], { referrer: undefined })
    }, 'questions', `Deleted the group “${text(at.group.heading)}” from the draft.`)
  })

  /** Where the referrals go: the CRM's own IDs chosen from what it lists. */
  async function destinationPage (reply: FastifyReply, w: Working, values: Record<string, string>, errors: Array<{ id: string, message: string }> = []) {
    const data = dataOf(w)
    const type = String(data.destination?.type ?? '')
    const top: Array<Record<string, any>> = Array.isArray(data.fields) ? data.fields : []
    return renderPage(reply, ctx, 'form-build-destination', {
      pageTitle: `${errors.length > 0 ? 'Error: ' : ''}Where referrals go – ${outline(w.text).title}`,
      section: 'forms',
      quiet: true,
      id: w.id,
      seen: w.seen,
      type,
      values,
      workareas: type === 'lamplight' ? await crmChoices(type) : undefined,
      textFields: top.filter((f) => f.type === 'textarea' || f.type === 'text').map((f) => ({ name: String(f.name), label: String(f.label ?? f.name) })),
      errors,
      err: Object.fromEntries(errors.map((e) => [e.id, e.message])),
    }, errors.length > 0 ? 422 : 200)
  }

  app.get<{ Params: IdParams }>('/forms/:id/build/destination', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const d = dataOf(w).destination ?? {}
    return destinationPage(reply, w, {
      workareaid: d.workareaid ? String(d.workareaid) : '',
      reason: text(d.reason ?? d.description),
      source: d.source !== undefined ? String(d.source) : '',
      project: d.project !== undefined ? String(d.project) : '',
    })
  })

  app.post<{ Params: IdParams, Body: Record<string, unknown> }>('/forms/:id/build/destination', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const type = String(dataOf(w).destination?.type ?? '')
    const values = { workareaid: text(req.body?.workareaid).trim(), reason: text(req.body?.reason), source: text(req.body?.source).trim(), project: text(req.body?.project).trim() }
    const errors: Array<{ id: string, message: string }> = []
    if (type === 'lamplight' && !/^[1-9]\d{0,8}$/.test(values.workareaid)) errors.push({ id: 'workareaid', message: 'Choose the Lamplight workarea the referrals go to' })
    if (type === 'charitylog' && values.source !== '' && !/^\d{1,9}$/.test(values.source)) errors.push({ id: 'source', message: 'Enter the referral source as Charitylog numbers it, such as 1' })
    if (type === 'charitylog' && values.project !== '' && !/^\d{1,9}$/.test(values.project)) errors.push({ id: 'project', message: 'Enter the project as Charitylog numbers it, such as 7' })
    if (errors.length > 0) return destinationPage(reply, w, values, errors)
    const reason = values.reason === '' ? undefined : values.reason
    const num = (v: string) => (v === '' ? undefined : Number(v))
    return change(req, reply, (doc) => setKeys(doc, ['destination'], type === 'lamplight'
      ? { workareaid: Number(values.workareaid), reason }
      : { source: num(values.source), project: num(values.project), description: reason }), 'settings', 'Where referrals go is saved in the draft.')
  })

  app.get<{ Params: IdParams, Querystring: Where }>('/forms/:id/build/delete', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = whereOf(req.query, outline(w.text))
    if (!at) return seeOther(reply, `/admin/forms/${w.id}/build`)
    return renderPage(reply, ctx, 'form-build-delete', {
      pageTitle: `Delete “${at.q.label}”?`, section: 'forms', id: w.id, seen: w.seen, list: at.q.list, index: at.index, question: at.q,
    })
  })

  app.post<{ Params: IdParams, Body: Posted }>('/forms/:id/build/delete', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    const at = whereOf(req.body ?? {}, outline(w.text))
    if (!at) return overview(reply, w, { status: 400, warning: 'That question is not in the form any more: nothing was deleted.' })
    return change(req, reply, (doc) => { deleteItem(doc, at.path, at.index) }, 'questions', `Deleted “${at.q.label}” from the draft.`)
  })

  app.post<{ Params: IdParams, Body: Posted }>('/forms/:id/build/publish', { config: { permission: 'forms' } }, async (req, reply) => {
    const result = await builder.publish(req.params.id, text(req.body?.seen), actor(req))
    if (result.ok) {
      await ctx.audit.record(actor(req), 'form saved', req.params.id, 'published from the form builder')
      flash(req, 'success', 'Published: visitors see the new version of the form now.')
      return seeOther(reply, `/admin/forms/${req.params.id}/build`)
    }
    if (result.reason === 'missing') return reply.callNotFound()
    const w = (await builder.working(req.params.id))!
    if (result.reason === 'changed') return conflict(reply, result.working)
    if (result.reason === 'problems') return overview(reply, w, { problems: result.problems })
    return overview(reply, w, {
      status: result.reason === 'nothing' ? 400 : 409,
      warning: result.reason === 'nothing'
        ? 'There are no changes to publish.'
        : result.reason === 'read-only'
          ? 'The forms folder cannot be written by the server, so the form cannot be published from here.'
          : 'The live form was changed (in the YAML editor) since this draft began, so publishing it would undo that change. Discard the draft and make your changes again, or copy them into the YAML editor.',
    })
  })

  app.post<{ Params: IdParams, Body: Posted }>('/forms/:id/build/discard', { config: { permission: 'forms' } }, async (req, reply) => {
    const w = await found(req)
    if (!w) return reply.callNotFound()
    if (!(await builder.discard(w.id, text(req.body?.seen)))) return conflict(reply, w)
    await ctx.audit.record(actor(req), 'draft discarded', w.id)
    flash(req, 'success', 'The draft is discarded: the form is as it is live.')
    return seeOther(reply, `/admin/forms/${w.id}/build`)
  })

  const preview = previewHandlers(app, async (_req, id) => {
    const w = await builder.working(id)
    const parsed = w && parseFormText(`${id}.yaml`, w.text)
    return parsed && parsed.ok ? asShown(parsed.form.definition, mailOn) : undefined
  }, (id) => ({ action: `/admin/forms/${id}/build/preview`, back: { href: `/admin/forms/${id}/build`, text: 'Back to the questions' }, away: `/admin/forms/${id}/build` }))
  app.get<{ Params: IdParams }>('/forms/:id/build/preview', { config: { permission: 'forms' } }, preview.get)
  app.post<{ Params: IdParams, Body: Body }>('/forms/:id/build/preview', { config: { permission: 'forms' } }, preview.post)
}
