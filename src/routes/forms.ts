/**
 * The public form pages (spec: HTML contract). GET shows the form; POST either re-renders it (a
 * no-JavaScript add/remove: 200, no errors; invalid answers: 422 with the error summary), or stores
 * the referral durably and redirects (303) to its confirmation. Storing happens before the redirect,
 * so "we have your referral" is only ever said of a committed row.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { toCrmPayload } from '../crm/payload.js'
import type { Body } from '../forms/fields.js'
import type { LoadedForm } from '../forms/load.js'
import { readableCopy } from '../forms/readable.js'
import { applyAction, blankSubmission, checkSubmission, readAction, readSubmission, type PageError, type RawSubmission } from '../forms/submission.js'
import { texts } from '../forms/texts.js'
import { ukToday } from '../forms/today.js'
import { formPageView, paragraphs } from '../forms/view-model.js'
import { REFERENCE_PATTERN } from '../outbox/sqlite-store.js'
import { renderNotFound } from './pages.js'

interface FormParams { id: string }

export function renderForm (reply: FastifyReply, form: LoadedForm, raw: RawSubmission, errors: PageError[], status = 200) {
  const def = form.definition
  const t = texts[def.language ?? 'en']
  const page = formPageView(def, raw, errors, t, `/forms/${def.id}`)
  const pageTitle = (errors.length > 0 ? t.errorTitlePrefix(errors.length) : '') + def.title
  return reply.code(status).header('cache-control', 'no-store').view('form', { ...page, pageTitle })
}

export default async function formRoutes (app: FastifyInstance) {
  const { forms, store, now } = app.services

  app.get<{ Params: FormParams }>('/forms/:id', async (req, reply) => {
    const form = forms.get(req.params.id)
    if (!form) return renderNotFound(reply)
    return renderForm(reply, form, blankSubmission(form.definition), [])
  })

  app.post<{ Params: FormParams, Body: Body }>('/forms/:id', async (req, reply) => {
    const form = forms.get(req.params.id)
    if (!form) return renderNotFound(reply)
    const def = form.definition
    const body: Body = req.body !== null && typeof req.body === 'object' ? req.body : {}
    const raw = readSubmission(def, body)
    const action = readAction(body)
    if (action) return renderForm(reply, form, applyAction(def, raw, action), [])

    const t = texts[def.language ?? 'en']
    const today = ukToday(now())
    const result = checkSubmission(def, raw, t, today)
    if (!result.ok) return renderForm(reply, form, raw, result.errors, 422)

    const reference = store.insert({
      formId: def.id,
      formHash: form.hash,
      destination: def.destination.type,
      payload: toCrmPayload(def, result.answers, today),
      answers: readableCopy(def, result.answers, t),
    }, now().getTime())
    req.log.info({ reference, form: def.id }, 'Referral stored')
    app.services.relay.worker.wake()
    return reply.code(303).header('location', `/forms/${def.id}/sent/${reference}`).send()
  })

  app.get<{ Params: FormParams & { reference: string } }>('/forms/:id/sent/:reference', async (req, reply) => {
    const form = forms.get(req.params.id)
    const ref = req.params.reference.toUpperCase()
    const row = REFERENCE_PATTERN.test(ref) ? store.findByReference(ref) : undefined
    if (!form || !row || row.form_id !== form.definition.id) return renderNotFound(reply, form?.definition.language)
    const def = form.definition
    const t = texts[def.language ?? 'en']
    return reply.header('cache-control', 'no-store').view('confirmation', {
      lang: t.lang,
      pageTitle: `${def.confirmation?.heading ?? t.confirmationHeading} – ${def.title}`,
      heading: def.confirmation?.heading ?? t.confirmationHeading,
      body: paragraphs(def.confirmation?.body ?? t.confirmationBody),
      reference: row.reference,
      t,
    })
  })
}
