/**
 * Deliveries: counts per state, the list (newest first, filtered by state and form, 50 a page), one
 * referral's page (facts, attempts, and its answers while it is not delivered, so staff can enter it
 * by hand), and the actions: retry now, mark as handled, release or delete a quarantined one.
 */
import type { FastifyInstance } from 'fastify'
import { crmIdsText, isoTime, OUTCOME_LABELS, STATE_HINTS, STATE_LABELS, ukTime } from '../../admin/format.js'
import { deliveryState, DELIVERY_STATES, inFlight, isDeliveryState, mayDo } from '../../outbox/delivery-state.js'
import { readReference } from '../../outbox/reference.js'
import type { SubmissionRecord } from '../../storage/index.js'
import { actor, flash, renderPage, seeOther, type RouteOptions } from './render.js'

const PAGE_SIZE = 50

interface RefParams { reference: string }
interface ListQuery { state?: string, form?: string, page?: string }

export default async function deliveryRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { storage, relay, now } = app.services
  const { outbox } = storage
  const rowOf = async (typed: string): Promise<SubmissionRecord | undefined> => {
    const reference = readReference(typed)
    return reference === undefined ? undefined : storage.submissions.findByReference(reference)
  }
  const time = (ms: number | null) => ({ text: ukTime(ms), iso: isoTime(ms) })
  const sendingNow = (row: SubmissionRecord) => inFlight(row, now().getTime())

  app.get<{ Querystring: ListQuery }>('/deliveries', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const state = isDeliveryState(req.query.state) ? req.query.state : undefined
    const form = typeof req.query.form === 'string' && req.query.form !== '' ? req.query.form : undefined
    const pageNo = /^\d{1,6}$/.test(req.query.page ?? '') ? Math.max(1, Number(req.query.page)) : 1
    const { rows, total } = await ctx.deliveries.list({ state, form }, (pageNo - 1) * PAGE_SIZE, PAGE_SIZE)
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
    const link = (p: number) => `/admin/deliveries?${new URLSearchParams({ ...(state && { state }), ...(form && { form }), page: String(p) })}`
    const counts = await ctx.deliveries.counts()
    return renderPage(reply, ctx, 'deliveries', {
      pageTitle: 'Deliveries',
      section: 'deliveries',
      counts: DELIVERY_STATES.map((s) => ({ state: s, label: STATE_LABELS[s], n: counts[s], href: `/admin/deliveries?state=${s}` })),
      states: DELIVERY_STATES.map((s) => ({ value: s, label: STATE_LABELS[s], selected: s === state })),
      forms: (await ctx.deliveries.formIds()).map((id) => ({ value: id, selected: id === form })),
      filtered: state !== undefined || form !== undefined,
      rows: rows.map((r) => ({
        ...r,
        stateLabel: STATE_LABELS[r.state],
        received: time(r.created_at),
        next: time(r.state === 'waiting' ? r.next_attempt_at : null),
        problem: r.state === 'quarantined' ? r.quarantine_reason : r.state === 'delivered' || r.state === 'handled' ? null : r.held_reason ?? r.last_error,
      })),
      total,
      page: pageNo,
      pages,
      prev: pageNo > 1 ? link(pageNo - 1) : undefined,
      next: pageNo < pages ? link(pageNo + 1) : undefined,
    })
  })

  app.get<{ Params: RefParams }>('/deliveries/:reference', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row) return reply.callNotFound()
    const state = deliveryState(row)
    const personal = state === 'delivered' ? undefined : await storage.submissions.readPersonalData(row.reference)
    // Who looked at whose referral: every showing of the answers is in the audit log.
    if (personal) await ctx.audit.record(actor(req), 'answers viewed', row.reference)
    const sending = sendingNow(row)
    return renderPage(reply, ctx, 'delivery', {
      pageTitle: `Referral ${row.reference}`,
      section: 'deliveries',
      row,
      state,
      stateLabel: STATE_LABELS[state],
      stateHint: STATE_HINTS[state],
      times: {
        created: time(row.created_at),
        next: time(row.next_attempt_at),
        delivered: time(row.delivered_at),
        failed: time(row.failed_at),
        partly: time(row.partly_delivered_at),
        quarantined: time(row.quarantined_at),
        handled: time(row.handled_at),
        purged: time(row.purged_at)
      },
      attempts: (await outbox.attempts(row.id)).map((a) => ({
        ...a, outcome: OUTCOME_LABELS[a.outcome] ?? a.outcome, started: time(a.started_at), seconds: ((a.finished_at - a.started_at) / 1000).toFixed(1),
      })),
      answers: personal?.answers,
      heldReason: relay.crms.notConfigured[row.destination],
      sending,
      crmIds: crmIdsText(row.crm_ids),
      setUp: state === 'held' && relay.crms.notConfigured[row.destination] !== undefined,
      can: {
        // A retry of a referral whose CRM is not set up would be held again at once: offer the set-up.
        retry: mayDo('retry', state) && row.has_personal_data && !sending && !(state === 'held' && relay.crms.notConfigured[row.destination] !== undefined),
        handle: mayDo('handle', state),
        release: mayDo('release', state),
      },
    })
  })

  app.post<{ Params: RefParams }>('/deliveries/:reference/retry', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row) return reply.callNotFound()
    if (sendingNow(row)) {
      // Clearing the lease of a delivery under way could send the referral twice.
      flash(req, 'warning', 'It is being sent right now. Reload this page in a few seconds to see how it went.')
    } else if (await outbox.retryNow(row.reference, now().getTime())) {
      relay.worker.wake()
      await ctx.audit.record(actor(req), 'retry', row.reference)
      const held = relay.crms.notConfigured[row.destination]
      flash(req, held ? 'warning' : 'success', held ? `It will be held again at once: ${held}.` : 'It is being sent again now. Reload this page in a few seconds to see how it went.')
    } else {
      flash(req, 'warning', `This referral cannot be retried: it is ${STATE_LABELS[deliveryState(row)].toLowerCase()}.`)
    }
    return seeOther(reply, `/admin/deliveries/${row.reference}`)
  })

  app.post<{ Params: RefParams }>('/deliveries/:reference/handled', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row) return reply.callNotFound()
    if (await outbox.markHandled(row.reference, now().getTime())) {
      await ctx.audit.record(actor(req), 'marked handled', row.reference, `was ${deliveryState(row)}`)
      flash(req, 'success', 'Marked as handled by hand. It will not be sent.')
    } else {
      flash(req, 'warning', `This referral cannot be marked as handled: it is ${STATE_LABELS[deliveryState(row)].toLowerCase()}.`)
    }
    return seeOther(reply, `/admin/deliveries/${row.reference}`)
  })

  app.post<{ Params: RefParams }>('/deliveries/:reference/release', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row) return reply.callNotFound()
    if (await outbox.releaseQuarantined(row.reference, now().getTime())) {
      relay.worker.wake()
      await ctx.audit.record(actor(req), 'released', row.reference, row.quarantine_reason ?? undefined)
      flash(req, 'success', 'Released: it is no longer quarantined and will be sent like any other referral.')
    } else {
      flash(req, 'warning', 'Only a quarantined referral can be released.')
    }
    return seeOther(reply, `/admin/deliveries/${row.reference}`)
  })

  app.get<{ Params: RefParams }>('/deliveries/:reference/delete', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row || !mayDo('delete', deliveryState(row))) return reply.callNotFound()
    return renderPage(reply, ctx, 'delivery-delete', { pageTitle: `Delete referral ${row.reference}?`, section: 'deliveries', row })
  })

  app.post<{ Params: RefParams }>('/deliveries/:reference/delete', { config: { permission: 'deliveries' } }, async (req, reply) => {
    const row = await rowOf(req.params.reference)
    if (!row) return reply.callNotFound()
    if (!(await outbox.deleteQuarantined(row.reference))) {
      flash(req, 'warning', 'Only a quarantined referral can be deleted.')
      return seeOther(reply, `/admin/deliveries/${row.reference}`)
    }
    await ctx.audit.record(actor(req), 'deleted', row.reference, row.quarantine_reason ?? undefined)
    flash(req, 'success', `Referral ${row.reference} was deleted.`)
    return seeOther(reply, '/admin/deliveries?state=quarantined')
  })
}
