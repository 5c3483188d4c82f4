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

function renderPreview (reply: FastifyReply, def: FormDefinition, raw: RawSubmission, errors: PageError[], notice?: string, status = 200) {
  return reply.code(status).view('form', {
    ...formPage(def, raw, errors, {
      action: `/admin/forms/${def.id}/preview`,
      hiddenInputs: [{ name: '_csrf', value: reply.generateCsrf() }],
      notice: notice === undefined ? undefined : { text: notice, problem: false },
      titlePrefix: 'Preview: ',
    }),
    layout: './admin/preview-layout',
    editHref: `/admin/forms/${def.id}/edit?draft`,
  })
}

export default async function formPreviewRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const mailOn = app.services.config.mail !== undefined
  /** The session's draft of this form, if it is still a valid form, as visitors would see it (confirm-email.ts). */
  const checkedDraft = (req: FastifyRequest, id: string) => {
    const draft = draftOf(req, id)
    const parsed = draft && ctx.editor.check(id, draft.text)
    return parsed && parsed.ok ? asShown(parsed.form.definition, mailOn) : undefined
  }

  app.get<{ Params: IdParams }>('/forms/:id/preview', { config: { permission: 'forms' } }, async (req, reply) => {
    const def = checkedDraft(req, req.params.id)
    if (!def) return seeOther(reply, `/admin/forms/${req.params.id}/edit`)
    return renderPreview(reply, def, blankSubmission(def), [])
  })

  app.post<{ Params: IdParams, Body: Body }>('/forms/:id/preview', { config: { permission: 'forms' } }, async (req, reply) => {
    const def = checkedDraft(req, req.params.id)
    if (!def) return seeOther(reply, `/admin/forms/${req.params.id}/edit`)
    const body: Body = req.body !== null && typeof req.body === 'object' ? req.body : {}
    const raw = readSubmission(def, body)
    const action = readAction(body)
    if (action) return renderPreview(reply, def, applyAction(def, raw, action), [])
    const result = checkSubmission(def, raw, texts[def.language ?? 'en'], ukToday(app.services.now()))
    if (!result.ok) return renderPreview(reply, def, raw, result.errors, undefined, 422)
    return renderPreview(reply, def, raw, [], 'Preview: these answers would be accepted. Nothing has been sent or stored.')
  })
}
