/**
 * The preview of an unsaved edit (the draft kept in the session): the public form page, rendered by
 * the same view model and template as for visitors, inside a banner that says it is a preview.
 * Its buttons post back here, never to /forms: adding or removing people and the answers' checks
 * work as they will for visitors, and nothing is ever stored or sent.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Body } from '../../forms/fields.js'
import type { FormDefinition } from '../../forms/schema.js'
import { asShown } from '../../forms/confirm-email.js'
import { applyAction, blankSubmission, checkSubmission, readAction, readSubmission, type PageError, type RawSubmission } from '../../forms/submission.js'
import { texts } from '../../forms/texts.js'
import { ukToday } from '../../forms/today.js'
import { formPage } from '../../forms/view-model.js'
import { draftOf } from './forms.js'
import { seeOther, type RouteOptions } from './render.js'

interface IdParams { id: string }

/** Where a preview posts to, the way back to what is being edited, and where to go when there is nothing to preview. */
export interface PreviewPlace { action: string, back: { href: string, text: string }, away: string }

function renderPreview (reply: FastifyReply, def: FormDefinition, place: PreviewPlace, raw: RawSubmission, errors: PageError[], notice?: string, status = 200) {
  return reply.code(status).view('form', {
    ...formPage(def, raw, errors, {
      action: place.action,
      hiddenInputs: [{ name: '_csrf', value: reply.generateCsrf() }],
      notice: notice === undefined ? undefined : { text: notice, problem: false },
      titlePrefix: 'Preview: ',
    }),
    layout: './admin/preview-layout',
    back: place.back,
  })
}

/**
 * The preview's two routes for a form's unsaved text: `defOf` finds it (undefined: go back), as
 * visitors would see it. The GET shows it blank; the POST checks answers and adds or removes people.
 */
export function previewHandlers (app: FastifyInstance, defOf: (req: FastifyRequest, id: string) => Promise<FormDefinition | undefined>, placeOf: (id: string) => PreviewPlace) {
  return {
    async get (req: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) {
      const def = await defOf(req, req.params.id)
      if (!def) return seeOther(reply, placeOf(req.params.id).away)
      return renderPreview(reply, def, placeOf(def.id), blankSubmission(def), [])
    },
    async post (req: FastifyRequest<{ Params: IdParams, Body: Body }>, reply: FastifyReply) {
      const def = await defOf(req, req.params.id)
      if (!def) return seeOther(reply, placeOf(req.params.id).away)
      const place = placeOf(def.id)
      const body: Body = req.body !== null && typeof req.body === 'object' ? req.body : {}
      const raw = readSubmission(def, body)
      const action = readAction(body)
      if (action) return renderPreview(reply, def, place, applyAction(def, raw, action), [])
      const result = checkSubmission(def, raw, texts[def.language ?? 'en'], ukToday(app.services.now()))
      if (!result.ok) return renderPreview(reply, def, place, raw, result.errors, undefined, 422)
      return renderPreview(reply, def, place, raw, [], 'Preview: these answers would be accepted. Nothing has been sent or stored.')
    },
  }
}

export default async function formPreviewRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const mailOn = app.services.config.mail !== undefined
  /** The session's draft of this form, if it is still a valid form, as visitors would see it (confirm-email.ts). */
  const checkedDraft = async (req: FastifyRequest, id: string) => {
    const draft = draftOf(req, id)
    const parsed = draft && ctx.editor.check(id, draft.text)
    return parsed && parsed.ok ? asShown(parsed.form.definition, mailOn) : undefined
  }
  const preview = previewHandlers(app, checkedDraft, (id) => ({ action: `/admin/forms/${id}/preview`, back: { href: `/admin/forms/${id}/edit?draft`, text: 'Back to the editor' }, away: `/admin/forms/${id}/edit` }))
  app.get<{ Params: IdParams }>('/forms/:id/preview', { config: { permission: 'forms' } }, preview.get)
  app.post<{ Params: IdParams, Body: Body }>('/forms/:id/preview', { config: { permission: 'forms' } }, preview.post)
}
