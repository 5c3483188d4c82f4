/**
 * The AlertStore contract, and the alerts the outbox and the submissions store with their events:
 * one per referral that needs staff, one per incident (a CRM down or refusing its keys) and one when it
 * is over, one pending spam alert gathering every quarantined referral, sent at most once each.
 */
import { describe, expect, it } from 'vitest'
import { INCIDENT_AFTER_FAILURES } from '../../../src/alerts/incidents.js'
import { SPAM_ALERT_EVERY_MS } from '../../../src/alerts/kinds.js'
import type { DeliveryOutcome } from '../../../src/crm/types.js'
import type { Storage } from '../../../src/storage/index.js'
import { lamplightSubmission, submission, T0, useStorage, type OpenStorage } from './harness.js'

const LEASE = 60_000

/** Stores a referral, claims it and records `outcome` at `at`; `max` attempts in all. */
async function deliverOnce (s: Storage, outcome: DeliveryOutcome, at: number, max = 20, destination: 'charitylog' | 'lamplight' = 'charitylog') {
  await s.submissions.insertOnce(destination === 'charitylog' ? submission() : lamplightSubmission(), at, {})
  const [claim] = await s.outbox.claimDue(at, LEASE, 1, [destination])
  await s.outbox.record(claim!, outcome, at - 1, at, at + 1_000_000, max)
  return claim!.reference
}

const kinds = async (s: Storage) => (await s.alerts.list(0, 100)).map((a) => a.kind).reverse()

const down: DeliveryOutcome = { kind: 'retry', reason: 'Charitylog did not answer within 30 s' }
const refused: DeliveryOutcome = { kind: 'held', reason: 'Charitylog refused our keys (401)' }
const delivered: DeliveryOutcome = { kind: 'delivered', crmIds: { id: 1 } }

export function alertStoreContract (name: string, open: OpenStorage) {
  describe(`AlertStore (${name})`, () => {
    const storage = useStorage(open)

    it('stores an alert once per key, claims it on a lease, and never gives a sent one again', async () => {
      const s = await storage()
      expect(await s.alerts.add({ key: 'digest:2026-06-15', kind: 'digest', at: T0 })).toBe(true)
      expect(await s.alerts.add({ key: 'digest:2026-06-15', kind: 'digest', at: T0 + 5 })).toBe(false)
      expect(await s.alerts.add({ key: 'later', kind: 'test', detail: 'x@example.org', at: T0, dueAt: T0 + 60_000 })).toBe(true)
      expect(await s.alerts.count()).toBe(2)
      expect(await s.alerts.nextDueAt()).toBe(T0)

      const [claimed, ...more] = await s.alerts.claimDue(T0 + 10, LEASE, 10)
      expect(more).toEqual([])
      expect(claimed).toMatchObject({ key: 'digest:2026-06-15', kind: 'digest', created_at: T0, due_at: T0, sent_at: null, attempts: 0 })
      // Claimed: nobody else gets it until the lease ends.
      expect(await s.alerts.claimDue(T0 + 20, LEASE, 10)).toEqual([])
      expect(await s.alerts.nextDueAt()).toBe(T0 + 60_000)
      await s.alerts.markSent(claimed!.id, T0 + 30)
      expect(await s.alerts.claimDue(T0 + LEASE * 2, LEASE, 10)).toMatchObject([{ key: 'later' }])
      expect(await s.alerts.lastSent('digest')).toMatchObject({ id: claimed!.id, sent_at: T0 + 30, attempts: 1 })
      expect(await s.alerts.lastSent('test')).toBeUndefined()
    })

    it('a claim whose lease ended (a process killed while sending) is claimed again', async () => {
      const s = await storage()
      await s.alerts.add({ key: 'a', kind: 'test', at: T0 })
      expect(await s.alerts.claimDue(T0, LEASE, 1)).toHaveLength(1)
      expect(await s.alerts.claimDue(T0 + LEASE - 1, LEASE, 1)).toHaveLength(0)
      expect(await s.alerts.claimDue(T0 + LEASE + 1, LEASE, 1)).toHaveLength(1)
    })

    it('a failed try comes back at its retry time; a refusal for good drops it, with the reason kept', async () => {
      const s = await storage()
      await s.alerts.add({ key: 'a', kind: 'test', at: T0 })
      await s.alerts.add({ key: 'b', kind: 'test', at: T0 })
      const [a, b] = await s.alerts.claimDue(T0, LEASE, 2)
      await s.alerts.markFailed(a!.id, T0 + 1, 'The mail server did not answer', T0 + 30_000)
      await s.alerts.markFailed(b!.id, T0 + 1, 'The mail server refused the address (550)', undefined)
      expect(await s.alerts.claimDue(T0 + 29_999, LEASE, 5)).toEqual([])
      // A restart: what waits after a failed try is due at once; the dropped one stays dropped.
      expect(await s.alerts.retryNow(T0 + 2)).toBe(1)
      expect(await s.alerts.nextDueAt()).toBe(T0 + 2)
      await s.alerts.markFailed(a!.id, T0 + 3, 'The mail server did not answer', T0 + 30_000)
      expect(await s.alerts.claimDue(T0 + 30_000, LEASE, 5)).toMatchObject([{ id: a!.id, attempts: 2, last_error: 'The mail server did not answer' }])
      const listed = await s.alerts.list(0, 10)
      expect(listed.find((x) => x.id === b!.id)).toMatchObject({ dropped_at: T0 + 1, last_error: 'The mail server refused the address (550)', sent_at: null })
    })

    it('drops what was made before email was set up, and purges old sent alerts', async () => {
      const s = await storage()
      await s.alerts.add({ key: 'old', kind: 'failed', reference: 'ABCD2345', at: T0 })
      await s.alerts.add({ key: 'new', kind: 'failed', reference: 'EFGH6789', at: T0 + 100 })
      expect(await s.alerts.dropBefore(T0 + 50, T0 + 200, 'made before email alerts were set up')).toBe(1)
      const [claimed] = await s.alerts.claimDue(T0 + 300, LEASE, 5)
      expect(claimed?.key).toBe('new')
      await s.alerts.markSent(claimed!.id, T0 + 400)
      expect(await s.alerts.purge(T0 + 300)).toBe(1) // the dropped one (at T0 + 200)
      expect(await s.alerts.purge(T0 + 401)).toBe(1)
      expect(await s.alerts.count()).toBe(0)
    })

    it('one email per referral that failed or was partly delivered, with its reference and form', async () => {
      const s = await storage()
      const rejected = await deliverOnce(s, { kind: 'rejected', reason: 'Charitylog answered 400' }, T0)
      const partly = await deliverOnce(s, { kind: 'partly_delivered', crmIds: { attendee: 6 }, reason: '1058' }, T0 + 10, 20, 'lamplight')
      const exhausted = await deliverOnce(s, down, T0 + 20, 1)
      const alerts = await s.alerts.list(0, 10)
      expect(alerts.map((a) => [a.kind, a.reference, a.form_id]).reverse()).toEqual([
        ['failed', rejected, 'carers-referral'],
        ['partly_delivered', partly, 'professional-referral'],
        ['failed', exhausted, 'carers-referral'],
      ])
      expect(await s.alerts.incidents()).toEqual([])
    })

    it(`a CRM down: nothing for the first ${INCIDENT_AFTER_FAILURES - 1} failures, one incident, none per referral failed meanwhile, one "working again"`, async () => {
      const s = await storage()
      for (let i = 0; i < INCIDENT_AFTER_FAILURES - 1; i++) await deliverOnce(s, down, T0 + i)
      expect(await kinds(s)).toEqual([])
      for (let i = 0; i < 50; i++) await deliverOnce(s, down, T0 + 100 + i, i % 2 === 0 ? 1 : 20) // half fail outright
      expect(await kinds(s)).toEqual(['incident'])
      expect(await s.alerts.incidents()).toEqual([{ destination: 'charitylog', kind: 'down', opened_at: T0 + 100 }])
      // Lamplight is a CRM of its own: its health is untouched.
      await deliverOnce(s, delivered, T0 + 200, 20, 'lamplight')
      expect(await kinds(s)).toEqual(['incident'])
      await deliverOnce(s, delivered, T0 + 300)
      await deliverOnce(s, delivered, T0 + 301)
      expect(await kinds(s)).toEqual(['incident', 'recovered'])
      const recovered = (await s.alerts.list(0, 1))[0]!
      expect(recovered).toMatchObject({ kind: 'recovered', destination: 'charitylog', detail: 'down', created_at: T0 + 300 })
      expect(await s.alerts.incidents()).toEqual([])
      // A success resets the count: two failures later, still no incident.
      for (let i = 0; i < INCIDENT_AFTER_FAILURES - 1; i++) await deliverOnce(s, down, T0 + 400 + i)
      expect(await kinds(s)).toEqual(['incident', 'recovered'])
    })

    it('failures of attempts already on their way when a delivery went through do not open a new incident', async () => {
      const s = await storage()
      // Five attempts start while Charitylog is down; three fail (an incident), one goes through, then the last two fail.
      for (let i = 0; i < 5; i++) await s.submissions.insertOnce(submission(), T0, {})
      const claims = await s.outbox.claimDue(T0, LEASE, 10, ['charitylog'])
      expect(claims).toHaveLength(5)
      const record = (i: number, outcome: DeliveryOutcome, at: number) => s.outbox.record(claims[i]!, outcome, T0, at, at + 1_000_000, 20)
      for (let i = 0; i < 3; i++) await record(i, down, T0 + 10 + i)
      await record(3, delivered, T0 + 20)
      await record(4, down, T0 + 21)
      expect(await kinds(s)).toEqual(['incident', 'recovered'])
      // A later attempt that fails is counted again: three in a row make a new incident.
      for (let i = 0; i < INCIDENT_AFTER_FAILURES; i++) await deliverOnce(s, down, T0 + 100 + i)
      expect(await kinds(s)).toEqual(['incident', 'recovered', 'incident'])
    })

    it('keys refused: one incident at the first held referral, whatever follows; over when one goes through', async () => {
      const s = await storage()
      for (let i = 0; i < 14; i++) await deliverOnce(s, refused, T0 + i)
      expect(await kinds(s)).toEqual(['incident'])
      expect(await s.alerts.incidents()).toEqual([{ destination: 'charitylog', kind: 'keys', opened_at: T0 }])
      expect(await s.deliveries.waitingFor('charitylog')).toBe(14)
      expect(await s.deliveries.oldestWaiting()).toBe(T0)
      // Missing credentials are the same incident: nothing new.
      await s.submissions.insertOnce(submission(), T0 + 50, {})
      expect(await s.outbox.holdDestination('charitylog', 'CHARITYLOG_USER_KEY is not set', T0 + 60)).toBe(1)
      expect(await kinds(s)).toEqual(['incident'])
      await deliverOnce(s, delivered, T0 + 100)
      expect(await kinds(s)).toEqual(['incident', 'recovered'])
      expect((await s.alerts.list(0, 1))[0]).toMatchObject({ detail: 'keys', key: `recovered:charitylog:${T0}` })
    })

    it('holding referrals for missing credentials opens one incident, and only when something was held', async () => {
      const s = await storage()
      expect(await s.outbox.holdDestination('lamplight', 'LAMPLIGHT_KEY is not set', T0)).toBe(0)
      expect(await kinds(s)).toEqual([])
      await s.submissions.insertOnce(lamplightSubmission(), T0, {})
      expect(await s.outbox.holdDestination('lamplight', 'LAMPLIGHT_KEY is not set', T0 + 1)).toBe(1)
      await s.submissions.insertOnce(lamplightSubmission(), T0 + 2, {})
      expect(await s.outbox.holdDestination('lamplight', 'LAMPLIGHT_KEY is not set', T0 + 3)).toBe(1)
      expect((await s.alerts.list(0, 5)).map((a) => [a.kind, a.destination, a.detail])).toEqual([['incident', 'lamplight', 'missing']])
    })

    it('probable spam: one pending alert gathers them all; after it is sent, the next waits an hour from then', async () => {
      const s = await storage()
      for (let i = 0; i < 5; i++) await s.submissions.insertOnce(submission(), T0 + i, { quarantineReason: 'too fast' })
      expect(await kinds(s)).toEqual(['quarantined'])
      const [first] = await s.alerts.claimDue(T0 + 10, LEASE, 5)
      expect(first).toMatchObject({ kind: 'quarantined', due_at: T0 })
      await s.alerts.markSent(first!.id, T0 + 20)
      expect(await s.deliveries.quarantinedSince(T0 + 2)).toBe(3)
      await s.submissions.insertOnce(submission(), T0 + 1000, { quarantineReason: 'honeypot' })
      await s.submissions.insertOnce(submission(), T0 + 2000, { quarantineReason: 'honeypot' })
      expect(await kinds(s)).toEqual(['quarantined', 'quarantined'])
      expect(await s.alerts.claimDue(T0 + 2000, LEASE, 5)).toEqual([])
      expect(await s.alerts.nextDueAt()).toBe(T0 + 20 + SPAM_ALERT_EVERY_MS)
      expect(await s.alerts.claimDue(T0 + 20 + SPAM_ALERT_EVERY_MS, LEASE, 5)).toHaveLength(1)
    })

    it('a visitor\'s confirmation: the address kept sealed with an alert, until sent or the answers go; never for probable spam', async () => {
      const s = await storage()
      const wanted = await s.submissions.insertOnce({ ...submission(), confirmTo: 'ann@example.org' }, T0, { nonce: 'c1', nonceExpiresAt: T0 + 1000 })
      const spam = await s.submissions.insertOnce({ ...submission(), confirmTo: 'victim@example.org' }, T0, { quarantineReason: 'too fast' })
      expect(await s.submissions.confirmationAddress(wanted.reference)).toBe('ann@example.org')
      expect(await s.submissions.confirmationAddress(spam.reference)).toBeUndefined()
      expect((await s.alerts.list(0, 10)).map((a) => [a.kind, a.reference, a.form_id]).reverse()).toEqual([
        ['confirmation', wanted.reference, 'carers-referral'],
        ['quarantined', null, null],
      ])
      await s.submissions.forgetConfirmationAddress(wanted.reference)
      expect(await s.submissions.confirmationAddress(wanted.reference)).toBeUndefined()
      // Not yet sent when the answers are deleted: the address goes with them.
      const later = await s.submissions.insertOnce({ ...submission(), confirmTo: 'bob@example.org' }, T0, {})
      const claims = await s.outbox.claimDue(T0, LEASE, 5, ['charitylog'])
      expect(claims.map((c) => c.reference).sort()).toEqual([wanted.reference, later.reference].sort())
      for (const c of claims) await s.outbox.record(c, delivered, T0, T0 + 1, T0 + 2, 20)
      expect(await s.submissions.confirmationAddress(later.reference)).toBe('bob@example.org')
      await s.outbox.purgeDelivered(T0 + 10, T0 + 20)
      expect(await s.submissions.confirmationAddress(later.reference)).toBeUndefined()
    })

    it('a new referral alert only when the form asks for one, and none for a double click', async () => {
      const s = await storage()
      const plain = await s.submissions.insertOnce(submission(), T0, { nonce: 'n1', nonceExpiresAt: T0 + 1000 })
      const asked = await s.submissions.insertOnce(submission(), T0 + 1, { nonce: 'n2', nonceExpiresAt: T0 + 1000, alertNew: true })
      const again = await s.submissions.insertOnce(submission(), T0 + 2, { nonce: 'n2', nonceExpiresAt: T0 + 1000, alertNew: true })
      const untokened = await s.submissions.insertOnce(lamplightSubmission(), T0 + 3, { alertNew: true })
      expect(again.duplicate).toBe(true)
      expect(plain.duplicate).toBe(false)
      expect((await s.alerts.list(0, 10)).map((a) => [a.kind, a.reference, a.form_id, a.destination]).reverse()).toEqual([
        ['new_referral', asked.reference, 'carers-referral', 'charitylog'],
        ['new_referral', untokened.reference, 'professional-referral', 'lamplight'],
      ])
    })
  })
}
