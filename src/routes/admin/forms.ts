/**
 * Forms: the list (live or broken, links, embed code), a new form from a template, and the YAML
 * editor. The editor's one POST does what its button says: `check` (the start-up validation, problems
 * shown by line), `preview` (kept as a draft in the session, then shown as visitors see it),
 * `save` (src/admin/form-editor.ts: checked, atomic, history kept, live at once) or `download`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { FORM_ID_PATTERN, normaliseText, numberedLines, type Template } from '../../admin/form-editor.js'
import { CRM_NAMES } from '../../admin/connections.js'
import { skeleton } from '../../admin/form-builder.js'
import type { FormProblem } from '../../forms/load.js'
import { actor, flash, renderPage, seeOther, type AdminContext, type RouteOptions } from './render.js'

interface IdParams { id: string }
interface EditorBody { yaml?: unknown, base?: unknown, intent?: unknown }
interface EditorState { text: string, base: string, isNew: boolean, problems?: FormProblem[], checked?: boolean, message?: { kind: 'success' | 'warning', text: string } }

/** The README's snippet: the script, and a plain link for a browser without JavaScript. */
export function embedSnippet (publicUrl: string, id: string): string {
  return `<script src="${publicUrl}/embed.js" data-form="${id}" async></script>\n<noscript><a href="${publicUrl}/forms/${id}">Open the referral form</a></noscript>`
}

/**
 * The session's unsaved edit of a form, if any. The drafts are a plain object (the session is JSON), so
 * only its own keys count: `constructor` is a valid form id, and must not find Object's constructor.
 */
export function draftOf (req: FastifyRequest, id: string): { text: string, base: string } | undefined {
  const drafts = req.session.drafts
  return drafts && Object.hasOwn(drafts, id) ? drafts[id] : undefined
}

/** Keeps an unsaved edit for the preview and the way back to the editor (a few forms at most). */
export function keepDraft (req: FastifyRequest, id: string, text: string, base: string): void {
  const kept = Object.entries(req.session.drafts ?? {}).filter(([k]) => k !== id).slice(-4)
  req.session.drafts = Object.fromEntries([...kept, [id, { text, base }]])
}

export function dropDraft (req: FastifyRequest, id: string): void {
  if (!draftOf(req, id)) return
  req.session.drafts = Object.fromEntries(Object.entries(req.session.drafts ?? {}).filter(([k]) => k !== id))
}

export async function renderEditor (reply: FastifyReply, ctx: AdminContext, id: string, s: EditorState, status = 200) {
  const live = reply.server.services.forms.get(id)
  const problems = s.problems ?? []
  const errors = problems.map((p) => ({
    id: p.line !== undefined ? `line-${Math.min(p.line, numberedLines(s.text, []).length)}` : 'yaml',
    message: [p.line !== undefined ? `Line ${p.line}` : 'The whole file', p.path || undefined].filter(Boolean).join(', ') + `: ${p.message}`,
  }))
  return renderPage(reply, ctx, 'form-edit', {
    pageTitle: `${errors.length > 0 ? 'Error: ' : ''}Edit ${id}.yaml`,
    quiet: true,
    section: 'forms',
    id,
    title: live?.definition.title,
    broken: !live && !s.isNew,
    isNew: s.isNew,
    text: s.text,
    base: s.base,
    errors,
    lines: problems.length > 0 ? numberedLines(s.text, problems) : [],
    checked: s.checked === true && problems.length === 0,
    message: s.message,
    writable: await ctx.editor.writable(),
    formsDir: reply.server.services.config.formsDir,
    rows: Math.min(60, Math.max(15, s.text.split('\n').length + 2)),
  }, status)
}

export default async function formRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { forms, config } = app.services

  app.get('/forms', { config: { permission: 'forms' } }, async (_req, reply) => {
    const draftList = await app.services.storage.drafts.list()
    const drafts = new Set(draftList.map((d) => d.form_id))
    const live = forms.list().map((f) => f.definition).sort((a, b) => a.id.localeCompare(b.id)).map((d) => ({
      id: d.id,
      title: d.title,
      destination: CRM_NAMES[d.destination.type],
      embed: embedSnippet(config.publicUrl, d.id),
      origins: d.embed?.allowed_origins ?? [],
      draft: drafts.has(d.id),
    }))
    const broken = [...forms.broken()].map(([file, problems]) => {
      const id = file.replace(/\.ya?ml$/, '')
      return { file, editable: FORM_ID_PATTERN.test(id) && file.endsWith('.yaml'), id, problems }
    })
    // New forms made in the builder, not published yet (a draft of a live form shows beside it).
    const newDrafts = draftList.filter((d) => d.base === null && !forms.get(d.form_id)).map((d) => ({ id: d.form_id, by: d.updated_by }))
    return renderPage(reply, ctx, 'forms', {
      pageTitle: 'Forms', section: 'forms', live, broken, newDrafts, writable: await ctx.editor.writable(), formsDir: config.formsDir,
    })
  })

  app.get('/forms/new', { config: { permission: 'forms' } }, async (_req, reply) => renderPage(reply, ctx, 'form-new', {
    pageTitle: 'New form', section: 'forms', errors: [], values: { id: '', template: '' },
  }))

  app.post<{ Body: { id?: unknown, template?: unknown, intent?: unknown } }>('/forms/new', { config: { permission: 'forms' } }, async (req, reply) => {
    const id = typeof req.body?.id === 'string' ? req.body.id.trim() : ''
    const template = req.body?.template === 'charitylog' || req.body?.template === 'lamplight' ? req.body.template as Template : undefined
    const errors: Array<{ id: string, message: string }> = []
    if (!FORM_ID_PATTERN.test(id)) {
      errors.push({ id: 'id', message: 'Enter an id of lower-case letters, digits and hyphens, like benefits-advice' })
    } else if (forms.get(id) || await ctx.editor.read(id) || (req.body?.intent === 'build' && await app.services.storage.drafts.get(id))) {
      errors.push({ id: 'id', message: `There is already a form called ${id}: choose another id` })
    }
    if (!template) errors.push({ id: 'template-charitylog', message: 'Choose where referrals from this form go' })
    if (errors.length > 0 || !template) {
      return renderPage(reply, ctx, 'form-new', {
        pageTitle: 'Error: New form', section: 'forms', errors, values: { id, template: template ?? '' },
      }, 422)
    }
    if (req.body?.intent === 'build') {
      // Without YAML: a draft of the least such a form needs, in the builder; not live until published.
      if (!(await ctx.builder.start(id, skeleton(template, id, 'New form'), actor(req)))) {
        return renderPage(reply, ctx, 'form-new', { pageTitle: 'Error: New form', section: 'forms', errors: [{ id: 'id', message: `There is already a draft of ${id}: open it from the forms list, or choose another id` }], values: { id, template } }, 422)
      }
      return seeOther(reply, `/admin/forms/${id}/build`)
    }
    keepDraft(req, id, await ctx.editor.template(template, id), '')
    return seeOther(reply, `/admin/forms/${id}/edit?draft`)
  })

  app.get<{ Params: IdParams, Querystring: { draft?: string } }>('/forms/:id/edit', { config: { permission: 'forms' } }, async (req, reply) => {
    const { id } = req.params
    const file = await ctx.editor.read(id)
    const draft = draftOf(req, id)
    if (draft !== undefined && (req.query.draft !== undefined || !file)) {
      if (req.query.draft === 'checked') {
        const check = ctx.editor.check(id, draft.text)
        const state = { text: draft.text, base: draft.base, isNew: draft.base === '' }
        return check.ok ? renderEditor(reply, ctx, id, { ...state, checked: true }) : renderEditor(reply, ctx, id, { ...state, problems: check.problems }, 422)
      }
      const message = draft.base !== '' ? { kind: 'warning' as const, text: 'These are your unsaved changes.' } : undefined
      return renderEditor(reply, ctx, id, { text: draft.text, base: draft.base, isNew: draft.base === '', message })
    }
    if (!file) return reply.callNotFound()
    return renderEditor(reply, ctx, id, { text: file.text, base: file.hash, isNew: false })
  })

  app.post<{ Params: IdParams, Body: EditorBody }>('/forms/:id/edit', { config: { permission: 'forms' } }, async (req, reply) => {
    const { id } = req.params
    if (!FORM_ID_PATTERN.test(id)) return reply.callNotFound()
    const text = normaliseText(typeof req.body?.yaml === 'string' ? req.body.yaml : '')
    const base = typeof req.body?.base === 'string' ? req.body.base : ''
    const state = { text, base, isNew: base === '' }
    const intent = req.body?.intent

    if (intent === 'download') {
      return reply.header('content-type', 'application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${id}.yaml"`).send(text)
    }
    const check = ctx.editor.check(id, text)
    // Check and Preview answer with a redirect to a page that GET shows again (the draft kept in the
    // session), so the browser's Back never lands on a POST and asks to resubmit it.
    if (intent === 'preview' && check.ok) {
      keepDraft(req, id, text, base)
      return seeOther(reply, `/admin/forms/${id}/preview`)
    }
    if (intent !== 'save') {
      keepDraft(req, id, text, base)
      return seeOther(reply, `/admin/forms/${id}/edit?draft=checked`)
    }
    if (!check.ok) return renderEditor(reply, ctx, id, { ...state, problems: check.problems }, 422)

    const result = await ctx.editor.save(id, text, base === '' ? undefined : base, actor(req))
    if (!result.ok) {
      if (result.reason === 'invalid') return renderEditor(reply, ctx, id, { ...state, problems: result.problems }, 422)
      const message = result.reason === 'read-only'
        ? 'The forms folder cannot be written, so this was not saved. Download your text and put it in the forms folder yourself.'
        : 'This form was changed by someone else since you opened it, so yours was not saved. Copy your changes, open the form again, and make them there.'
      return renderEditor(reply, ctx, id, { ...state, message: { kind: 'warning', text: message } }, 409)
    }
    dropDraft(req, id)
    if (result.unchanged) {
      flash(req, 'success', 'There were no changes to save.')
    } else {
      await ctx.audit.record(actor(req), state.isNew ? 'form created' : 'form saved', id, `version ${result.hash}`)
      req.log.info({ form: id }, 'Form saved from the staff pages')
      const live = forms.get(id)?.hash === result.hash
      flash(req, live ? 'success' : 'warning', live ? `Saved. The live form ${id} now shows your changes.` : `Saved, but ${id} is not live: see the forms list.`)
    }
    return seeOther(reply, `/admin/forms/${id}/edit`)
  })
}
