/** The OutboxStore contract: leased claims, outcomes as facts, staff actions only from their states, retention. */
import { describe, expect, it } from 'vitest'
import type { DeliveryOutcome } from '../../../src/crm/types.js'
import { deliveryState } from '../../../src/outbox/delivery-state.js'
import type { Storage } from '../../../src/storage/index.js'
import { lamplightSubmission, submission, T0, useStorage, type OpenStorage } from './harness.js'

const LEASE = 60_000
const MAX = 3

/** Stores one referral and brings it to `state` through the outbox itself; returns its reference. */
async function referral (s: Storage, state: 'waiting' | 'delivered' | 'failed' | 'held' | 'partly_delivered' | 'quarantined', at = T0) {
  const { reference } = await s.submissions.insertOnce(submission(), at, state === 'quarantined' ? { quarantineReason: 'too fast' } : {})
  if (state === 'waiting' || state === 'quarantined') return reference
  const [claim] = await s.outbox.claimDue(at, LEASE, 1, ['charitylog'])
  expect(claim?.reference).toBe(reference)
  const outcome: DeliveryOutcome = state === 'delivered'
    ? { kind: 'delivered' as const, crmIds: { id: 5000 }, raw: '{"id":5000,"first_name":"Ann"}' }
    : state === 'failed'
      ? { kind: 'rejected' as const, reason: 'Charitylog answered 400' }
      : state === 'held'
        ? { kind: 'held' as const, reason: 'Charitylog refused our keys (401)' }
        : { kind: 'partly_delivered' as const, crmIds: { attendee: 600 }, reason: 'custom fields not saved (1058)' }
  await s.outbox.record(claim!, outcome, at, at + 10, at + 1000, MAX)
  return reference
}

const stateOf = async (s: Storage, ref: string) => deliveryState((await s.submissions.findByReference(ref))!)

export function outboxStoreContract (name: string, open: OpenStorage) {
  describe(`OutboxStore (${name})`, () => {
    const storage = useStorage(open)

    it('claims due rows oldest first, only of the destinations asked, at most the limit, with the payload opened', async () => {
      const s = await storage()
      const a = await s.submissions.insertOnce(submission('A'), T0 + 2, {})
      const b = await s.submissions.insertOnce(submission('B'), T0 + 1, {})
      await s.submissions.insertOnce(lamplightSubmission(), T0, {})
      await s.submissions.insertOnce(submission('Later'), T0 + 60_000, {})
      const claimed = await s.outbox.claimDue(T0 + 10, LEASE, 5, ['charitylog'])
      expect(claimed.map((c) => c.reference)).toEqual([b.reference, a.reference])
      expect(claimed[0]!.payload).toEqual(submission('B').payload)
      expect(claimed[0]!.lease_until).toBe(T0 + 10 + LEASE)
      expect(await s.outbox.claimDue(T0 + 10, LEASE, 0, ['charitylog'])).toEqual([])
      expect(await s.outbox.claimDue(T0 + 10, LEASE, 5, [])).toEqual([])
      expect((await s.outbox.claimDue(T0 + 10, LEASE, 1, ['charitylog', 'lamplight'])).map((c) => c.destination)).toEqual(['lamplight'])
    })

    it('does not claim a leased row again until its lease has expired (at least once, never twice at a time)', async () => {
      const s = await storage()
      const { reference } = await s.submissions.insertOnce(submission(), T0, {})
      expect(await s.outbox.claimDue(T0, LEASE, 5, ['charitylog'])).toHaveLength(1)
      expect(await s.outbox.claimDue(T0 + LEASE - 1, LEASE, 5, ['charitylog'])).toEqual([])
      expect((await s.outbox.claimDue(T0 + LEASE + 1, LEASE, 5, ['charitylog'])).map((c) => c.reference)).toEqual([reference])
      expect(await s.outbox.releaseAllLeases()).toBe(1)
      expect(await s.outbox.claimDue(T0 + LEASE + 2, LEASE, 5, ['charitylog'])).toHaveLength(1)
    })

    it('records a delivery: delivered, the CRM ids and answer kept, one attempt, nothing due', async () => {
      const s = await storage()
      const ref = await referral(s, 'delivered')
      const r = (await s.submissions.findByReference(ref))!
      expect(deliveryState(r)).toBe('delivered')
      expect(r).toMatchObject({ attempts: 1, delivered_at: T0 + 10, lease_until: null, next_attempt_at: null, crm_ids: '{"id":5000}' })
      expect((await s.submissions.readPersonalData(ref))?.crmResponse).toBe('{"id":5000,"first_name":"Ann"}')
      expect(await s.outbox.attempts(r.id)).toEqual([{ submission_id: r.id, started_at: T0, finished_at: T0 + 10, outcome: 'delivered', detail: null }])
      expect(await s.outbox.claimDue(T0 + 10 * LEASE, LEASE, 5, ['charitylog'])).toEqual([])
    })

    it('records a temporary failure as a retry at the time given, until the attempts are used up: then failed', async () => {
      const s = await storage()
      const { reference } = await s.submissions.insertOnce(submission(), T0, {})
      let at = T0
      for (let i = 1; i <= MAX; i++) {
        const [claim] = await s.outbox.claimDue(at, LEASE, 1, ['charitylog'])
        await s.outbox.record(claim!, { kind: 'retry', reason: `timeout ${i}` }, at, at + 5, at + 1000, MAX)
        const r = (await s.submissions.findByReference(reference))!
        expect(r.attempts).toBe(i)
        expect(r.last_error).toBe(`timeout ${i}`)
        expect(r.next_attempt_at).toBe(i < MAX ? at + 1000 : null)
        expect(deliveryState(r)).toBe(i < MAX ? 'waiting' : 'failed')
        at += 1000
      }
      expect((await s.outbox.attempts((await s.submissions.findByReference(reference))!.id)).map((a) => a.detail)).toEqual(['timeout 1', 'timeout 2', 'timeout 3'])
    })

    it('records held (no attempt used up), rejected (failed at once) and partly delivered', async () => {
      const s = await storage()
      const held = (await s.submissions.findByReference(await referral(s, 'held')))!
      expect(deliveryState(held)).toBe('held')
      expect(held).toMatchObject({ attempts: 0, held_reason: 'Charitylog refused our keys (401)', next_attempt_at: null })
      const failed = (await s.submissions.findByReference(await referral(s, 'failed')))!
      expect(deliveryState(failed)).toBe('failed')
      expect(failed).toMatchObject({ attempts: 1, last_error: 'Charitylog answered 400', next_attempt_at: null })
      const partly = (await s.submissions.findByReference(await referral(s, 'partly_delivered')))!
      expect(deliveryState(partly)).toBe('partly_delivered')
      expect(partly).toMatchObject({ crm_ids: '{"attendee":600}', last_error: 'custom fields not saved (1058)' })
    })

    it('keeps the progress of a multi-step delivery, key by key', async () => {
      const s = await storage()
      const { reference } = await s.submissions.insertOnce(lamplightSubmission(), T0, {})
      const { id } = (await s.submissions.findByReference(reference))!
      expect(await s.outbox.progressOf(id)).toEqual({})
      await s.outbox.saveProgress(id, 'attendee', 600)
      await s.outbox.saveProgress(id, 'referrer', 'x601')
      expect(await s.outbox.progressOf(id)).toEqual({ attendee: 600, referrer: 'x601' })
    })

    it('holds the waiting rows of a destination without credentials, and releases them when it has them', async () => {
      const s = await storage()
      const cl = await s.submissions.insertOnce(submission(), T0, {})
      const ll = await s.submissions.insertOnce(lamplightSubmission(), T0, {})
      expect(await s.outbox.holdDestination('charitylog', 'Charitylog is not configured', T0)).toBe(1)
      expect(await s.outbox.holdDestination('charitylog', 'Charitylog is not configured', T0)).toBe(0)
      expect(await stateOf(s, cl.reference)).toBe('held')
      expect(await stateOf(s, ll.reference)).toBe('waiting')
      expect(await s.outbox.nextDueAt(['charitylog'])).toBeUndefined()
      expect(await s.outbox.releaseHeld('charitylog', T0 + 500)).toBe(1)
      expect((await s.submissions.findByReference(cl.reference))).toMatchObject({ held_reason: null, next_attempt_at: T0 + 500 })
    })

    it('tells when the next row falls due, leaving out rows being sent', async () => {
      const s = await storage()
      expect(await s.outbox.nextDueAt(['charitylog'])).toBeUndefined()
      await s.submissions.insertOnce(submission(), T0 + 100, {})
      await s.submissions.insertOnce(submission(), T0 + 50, {})
      expect(await s.outbox.nextDueAt(['charitylog'])).toBe(T0 + 50)
      expect(await s.outbox.nextDueAt(['lamplight'])).toBeUndefined()
      await s.outbox.claimDue(T0 + 60, LEASE, 1, ['charitylog'])
      expect(await s.outbox.nextDueAt(['charitylog'])).toBe(T0 + 100)
    })

    it('retries now a failed or held referral (a failed one with its attempts counted afresh), never a delivered or quarantined one', async () => {
      const s = await storage()
      const failed = await referral(s, 'failed')
      const held = await referral(s, 'held')
      expect(await s.outbox.retryNow(failed, T0 + 5000)).toBe(true)
      expect(await s.submissions.findByReference(failed)).toMatchObject({ failed_at: null, attempts: 0, next_attempt_at: T0 + 5000 })
      expect(await s.outbox.retryNow(held, T0 + 5000)).toBe(true)
      expect(await stateOf(s, held)).toBe('waiting')
      expect(await s.outbox.retryNow(await referral(s, 'delivered'), T0)).toBe(false)
      expect(await s.outbox.retryNow(await referral(s, 'quarantined'), T0)).toBe(false)
      expect(await s.outbox.retryNow('ABCDEFGH', T0)).toBe(false)
    })

    it('marks as handled by hand what is not delivered, quarantined or handled already', async () => {
      const s = await storage()
      for (const state of ['failed', 'held', 'partly_delivered', 'waiting'] as const) {
        const ref = await referral(s, state)
        expect(await s.outbox.markHandled(ref, T0 + 100)).toBe(true)
        expect(await stateOf(s, ref)).toBe('handled')
        expect(await s.outbox.markHandled(ref, T0 + 200)).toBe(false)
      }
      expect(await s.outbox.markHandled(await referral(s, 'delivered'), T0)).toBe(false)
      expect(await s.outbox.markHandled(await referral(s, 'quarantined'), T0)).toBe(false)
    })

    it('releases a quarantined referral to be sent, or deletes it for good; neither touches any other', async () => {
      const s = await storage()
      const q1 = await referral(s, 'quarantined')
      const q2 = await referral(s, 'quarantined')
      const failed = await referral(s, 'failed')
      expect(await s.outbox.releaseQuarantined(q1, T0 + 100)).toBe(true)
      expect(await s.submissions.findByReference(q1)).toMatchObject({ quarantined_at: null, next_attempt_at: T0 + 100 })
      expect(await s.outbox.releaseQuarantined(q1, T0 + 100)).toBe(false)
      expect(await s.outbox.deleteQuarantined(q2)).toBe(true)
      expect(await s.submissions.findByReference(q2)).toBeUndefined()
      expect(await s.outbox.deleteQuarantined(failed)).toBe(false)
      expect(await s.outbox.releaseQuarantined(failed, T0)).toBe(false)
      expect(await stateOf(s, failed)).toBe('failed')
    })

    it('deletes the personal data of referrals delivered or handled before the cut-off, and the reasons with it, keeping the facts', async () => {
      const s = await storage()
      const delivered = await referral(s, 'delivered')
      const handled = await referral(s, 'failed')
      await s.outbox.markHandled(handled, T0 + 20)
      const failed = await referral(s, 'failed')
      const recent = await referral(s, 'delivered', T0 + 100_000)
      expect(await s.outbox.purgeDelivered(T0 + 50_000, T0 + 200_000)).toBe(2)
      for (const ref of [delivered, handled]) {
        expect(await s.submissions.readPersonalData(ref)).toBeUndefined()
        const r = (await s.submissions.findByReference(ref))!
        expect(r).toMatchObject({ has_personal_data: false, purged_at: T0 + 200_000, progress: null, last_error: null, held_reason: null })
        expect((await s.outbox.attempts(r.id)).map((a) => [a.outcome, a.detail])).toEqual([[ref === handled ? 'rejected' : 'delivered', null]])
      }
      expect((await s.submissions.findByReference(failed))?.last_error).toBe('Charitylog answered 400')
      expect(await stateOf(s, delivered)).toBe('delivered')
      expect((await s.submissions.findByReference(delivered))?.crm_ids).toBe('{"id":5000}')
      for (const ref of [failed, recent]) expect((await s.submissions.readPersonalData(ref))?.payload).toEqual(submission().payload)
      expect(await s.outbox.retryNow(handled, T0)).toBe(false)
      expect(await s.outbox.purgeDelivered(T0 + 50_000, T0 + 300_000)).toBe(0)
    })
  })
}
