/** The contracts of what the staff pages keep: deliveries lists, sessions, the audit log, form history. */
import { describe, expect, it } from 'vitest'
import { DELIVERY_STATES } from '../../../src/outbox/delivery-state.js'
import { lamplightSubmission, submission, T0, useStorage, type OpenStorage } from './harness.js'

export function deliveryQueriesContract (name: string, open: OpenStorage) {
  describe(`DeliveryQueries (${name})`, () => {
    const storage = useStorage(open)

    it('counts every state, zero included, and lists newest first, filtered by state and form, a page at a time', async () => {
      const s = await storage()
      expect(await s.deliveries.counts()).toEqual(Object.fromEntries(DELIVERY_STATES.map((st) => [st, 0])))
      const refs = []
      for (let i = 0; i < 5; i++) refs.push((await s.submissions.insertOnce(i % 2 ? lamplightSubmission() : submission(), T0 + i * 1000, {})).reference)
      const q = await s.submissions.insertOnce(submission(), T0 + 9000, { quarantineReason: 'honeypot' })
      await s.outbox.holdDestination('lamplight', 'Lamplight is not configured', T0)
      expect(await s.deliveries.counts()).toMatchObject({ waiting: 3, held: 2, quarantined: 1, delivered: 0 })
      const all = await s.deliveries.list({}, 0, 10)
      expect(all.total).toBe(6)
      expect(all.rows.map((r) => r.reference)).toEqual([q.reference, ...refs.reverse()])
      expect(all.rows[0]).toMatchObject({ state: 'quarantined', quarantine_reason: 'honeypot', form_id: 'carers-referral' })
      const held = await s.deliveries.list({ state: 'held' }, 0, 10)
      expect(held.rows.map((r) => [r.state, r.form_id, r.held_reason])).toEqual([
        ['held', 'professional-referral', 'Lamplight is not configured'], ['held', 'professional-referral', 'Lamplight is not configured'],
      ])
      const page = await s.deliveries.list({ form: 'carers-referral' }, 1, 2)
      expect(page.total).toBe(4)
      expect(page.rows).toHaveLength(2)
      expect((await s.deliveries.list({ state: 'waiting', form: 'professional-referral' }, 0, 10)).total).toBe(0)
      expect(await s.deliveries.formIds()).toEqual(['carers-referral', 'professional-referral'])
    })
  })
}

export function sessionStoreContract (name: string, open: OpenStorage) {
  describe(`SessionStore (${name})`, () => {
    const storage = useStorage(open)

    it('gives back what was saved until it expires, replaces it on a new save, and forgets a destroyed one', async () => {
      const { sessions } = await storage()
      expect(await sessions.get('s1', T0)).toBeUndefined()
      await sessions.set('s1', '{"signedIn":true}', T0 + 1000)
      expect(await sessions.get('s1', T0 + 999)).toBe('{"signedIn":true}')
      expect(await sessions.get('s1', T0 + 1000)).toBeUndefined()
      await sessions.set('s1', '{"signedIn":true,"flash":1}', T0 + 5000)
      expect(await sessions.get('s1', T0 + 2000)).toBe('{"signedIn":true,"flash":1}')
      await sessions.destroy('s1')
      expect(await sessions.get('s1', T0)).toBeUndefined()
      await sessions.destroy('never-there')
    })

    it('deletes the expired sessions, and only those', async () => {
      const { sessions } = await storage()
      await sessions.set('old', '{}', T0 + 10)
      await sessions.set('new', '{}', T0 + 10_000)
      expect(await sessions.purgeExpired(T0 + 100)).toBe(1)
      expect(await sessions.get('new', T0 + 100)).toBe('{}')
    })
  })
}

export function auditStoreContract (name: string, open: OpenStorage) {
  describe(`AuditStore (${name})`, () => {
    const storage = useStorage(open)

    it('keeps every entry, lists the newest first a page at a time, and counts them', async () => {
      const { audit } = await storage()
      expect(await audit.count()).toBe(0)
      await audit.record({ at: T0, actor: 'staff (session 1a2b3c4d)', action: 'sign-in' })
      await audit.record({ at: T0 + 1, actor: 'staff (session 1a2b3c4d)', action: 'retry', subject: 'ABCDEFGH' })
      await audit.record({ at: T0 + 2, actor: 'staff', action: 'form saved', subject: 'carers-referral', detail: 'version 1234' })
      expect(await audit.count()).toBe(3)
      const newest = await audit.list(0, 2)
      expect(newest.map((e) => [e.at, e.actor, e.action, e.subject, e.detail])).toEqual([
        [T0 + 2, 'staff', 'form saved', 'carers-referral', 'version 1234'],
        [T0 + 1, 'staff (session 1a2b3c4d)', 'retry', 'ABCDEFGH', null],
      ])
      expect((await audit.list(2, 2)).map((e) => [e.action, e.subject])).toEqual([['sign-in', null]])
      expect((await audit.list(0, 10, 'staff (session 1a2b3c4d)')).map((e) => e.action)).toEqual(['retry', 'sign-in'])
      expect(await audit.count('staff')).toBe(1)
      expect(await audit.actors()).toEqual(['staff', 'staff (session 1a2b3c4d)'])
    })
  })
}

export function formHistoryStoreContract (name: string, open: OpenStorage) {
  describe(`FormHistoryStore (${name})`, () => {
    const storage = useStorage(open)

    it('keeps replaced texts per form, newest first, gives one back whole, and takes one back', async () => {
      const { formHistory } = await storage()
      const v1 = await formHistory.add({ formId: 'a', text: 'id: a\n# one\n', hash: 'h1', replacedAt: T0, replacedBy: 'staff' })
      const v2 = await formHistory.add({ formId: 'a', text: 'id: a\n# two\n', hash: 'h2', replacedAt: T0 + 1, replacedBy: 'staff (session x)' })
      await formHistory.add({ formId: 'b', text: 'id: b\n', hash: 'h3', replacedAt: T0 + 2, replacedBy: 'staff' })
      expect((await formHistory.list('a')).map((v) => [v.id, v.hash, v.replaced_by])).toEqual([[v2, 'h2', 'staff (session x)'], [v1, 'h1', 'staff']])
      expect(await formHistory.get('a', v1)).toEqual({ id: v1, form_id: 'a', text: 'id: a\n# one\n', hash: 'h1', replaced_at: T0, replaced_by: 'staff' })
      expect(await formHistory.get('b', v1)).toBeUndefined()
      await formHistory.remove(v2)
      expect((await formHistory.list('a')).map((v) => v.id)).toEqual([v1])
      expect(await formHistory.list('nothing')).toEqual([])
    })
  })
}
