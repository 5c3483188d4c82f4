/** The SubmissionStore contract: storing once per token, reading back, personal data kept sealed. */
import { describe, expect, it } from 'vitest'
import { deliveryState } from '../../../src/outbox/delivery-state.js'
import { REFERENCE_PATTERN } from '../../../src/outbox/reference.js'
import { lamplightSubmission, submission, T0, useStorage, type OpenStorage } from './harness.js'

export function submissionStoreContract (name: string, open: OpenStorage) {
  describe(`SubmissionStore (${name})`, () => {
    const storage = useStorage(open)

    it('stores a submission as waiting, due at once, and finds it by its reference', async () => {
      const { submissions } = await storage()
      const stored = await submissions.insertOnce(submission(), T0, { nonce: 'n1', nonceExpiresAt: T0 + 1000 })
      expect(stored.duplicate).toBe(false)
      expect(stored.reference).toMatch(REFERENCE_PATTERN)
      const r = await submissions.findByReference(stored.reference)
      expect(r).toMatchObject({
        reference: stored.reference,
        form_id: 'carers-referral',
        form_hash: 'abc123',
        destination: 'charitylog',
        created_at: T0,
        attempts: 0,
        next_attempt_at: T0,
        lease_until: null,
        delivered_at: null,
        failed_at: null,
        held_reason: null,
        quarantined_at: null,
        handled_at: null,
        partly_delivered_at: null,
        last_error: null,
        crm_ids: null,
        purged_at: null,
        has_personal_data: true,
      })
      expect(deliveryState(r!)).toBe('waiting')
    })

    it('gives back the payload and the staff copy exactly as stored, and no CRM answer before delivery', async () => {
      const { submissions } = await storage()
      const s = lamplightSubmission('Siân Ó Briain <script>')
      const { reference } = await submissions.insertOnce(s, T0, {})
      expect(await submissions.readPersonalData(reference)).toEqual({ payload: s.payload, answers: s.answers, crmResponse: undefined })
    })

    it('knows nothing of a reference it never stored', async () => {
      const { submissions } = await storage()
      expect(await submissions.findByReference('ABCDEFGH')).toBeUndefined()
      expect(await submissions.readPersonalData('ABCDEFGH')).toBeUndefined()
    })

    it('stores once per token: the second use of a nonce stores nothing and returns the first reference', async () => {
      const { submissions } = await storage()
      const first = await submissions.insertOnce(submission('Ann'), T0, { nonce: 'same', nonceExpiresAt: T0 + 60_000 })
      const again = await submissions.insertOnce(submission('Bob'), T0 + 5, { nonce: 'same', nonceExpiresAt: T0 + 60_000 })
      expect(again).toEqual({ reference: first.reference, duplicate: true })
      expect(await submissions.listRecent(10)).toHaveLength(1)
    })

    it('stores once per token when both posts arrive together (a double click)', async () => {
      const { submissions } = await storage()
      const results = await Promise.all([1, 2, 3].map((i) =>
        submissions.insertOnce(submission(`P${i}`), T0, { nonce: 'click', nonceExpiresAt: T0 + 60_000 })))
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1)
      expect(new Set(results.map((r) => r.reference)).size).toBe(1)
      expect(await submissions.listRecent(10)).toHaveLength(1)
    })

    it('stores a quarantined submission as quarantined, never due, with its reason', async () => {
      const { submissions } = await storage()
      const { reference } = await submissions.insertOnce(submission(), T0, { quarantineReason: 'The hidden anti-spam field was filled in' })
      const r = (await submissions.findByReference(reference))!
      expect(deliveryState(r)).toBe('quarantined')
      expect(r).toMatchObject({ quarantined_at: T0, next_attempt_at: null, quarantine_reason: 'The hidden anti-spam field was filled in' })
    })

    it('forgets spent nonces once their tokens expired, and only those', async () => {
      const { submissions } = await storage()
      await submissions.insertOnce(submission(), T0, { nonce: 'old', nonceExpiresAt: T0 + 1000 })
      await submissions.insertOnce(submission(), T0, { nonce: 'young', nonceExpiresAt: T0 + 10_000 })
      expect(await submissions.purgeSpentTokens(T0 + 5000)).toBe(1)
      expect((await submissions.insertOnce(submission(), T0 + 6000, { nonce: 'old' })).duplicate).toBe(false)
      expect((await submissions.insertOnce(submission(), T0 + 6000, { nonce: 'young' })).duplicate).toBe(true)
    })

    it('stores many at once, each with its own reference, all due at the time given', async () => {
      const { submissions } = await storage()
      const refs = await submissions.insertMany([submission('A'), submission('B'), lamplightSubmission()], T0)
      expect(new Set(refs).size).toBe(3)
      for (const ref of refs) expect((await submissions.findByReference(ref))?.next_attempt_at).toBe(T0)
    })

    it('lists the most recent first, as many as asked', async () => {
      const { submissions } = await storage()
      const refs = []
      for (let i = 0; i < 4; i++) refs.push((await submissions.insertOnce(submission(), T0 + i * 1000, {})).reference)
      expect((await submissions.listRecent(3)).map((r) => r.reference)).toEqual([refs[3], refs[2], refs[1]])
    })
  })
}
