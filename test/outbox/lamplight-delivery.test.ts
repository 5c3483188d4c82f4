/**
 * Lamplight through the real app and the worker: resuming from saved profile IDs (never a second
 * profile), and each Lamplight failure class.
 */
import { attemptRows } from '../helpers/sqlite.js'
import { afterEach, describe, expect, it } from 'vitest'
import { deliveryState } from '../../src/outbox/delivery-state.js'
import { startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import type { TestApp } from '../helpers/app.js'
import { buildRelayApp, expectLogsClean, isDelivered, lamplightEnv, professionalBody, rowOf, submit, waitForRow } from '../helpers/relay.js'

let t: TestApp | undefined
let fake: FakeLamplight | undefined
afterEach(async () => {
  await t?.close()
  if (t) expectLogsClean(t.logs, ['Alice', 'Okafor', 'Rhona', 'Jones', 'example.net', 'benefits'], ['ll-key-wrong'])
  await fake?.close()
  t = undefined
  fake = undefined
})

async function start () {
  fake = await startFakeLamplight()
  t = await buildRelayApp({ env: lamplightEnv(fake) })
  return { fake, t }
}
const send = (t: TestApp) => submit(t.app, 'professional-referral', professionalBody({ first: 'Alice', surname: 'Okafor' }, { first: 'Rhona', surname: 'Jones' }))
const attemptsOf = (t: TestApp, ref: string) => attemptRows(t.app, rowOf(t, ref).id)
const routes = (f: FakeLamplight) => f.requests.map((r) => r.path.replace('/format/json', ''))

describe('resuming a Lamplight delivery', () => {
  it('reuses both saved profiles when the referral step fails, so Lamplight has one attendee, not two', async () => {
    const { fake, t } = await start()
    fake.faults.failNextOn('referral/add', 503)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)

    expect(routes(fake)).toEqual(['/people/add', '/people/add', '/referral/add', '/referral/add'])
    expect(fake.profiles.map((p) => [p.id, p.role])).toEqual([[600, 'user'], [601, 'contact']])
    expect(fake.referrals).toHaveLength(1)
    expect(fake.referrals[0]!.fields).toMatchObject({ attendee: '600', referrer: '601' })
    expect(row.attempts).toBe(2)
    expect(JSON.parse(row.crm_ids!)).toEqual({ attendee: 600, referrer: 601, referral: 30939 })
    expect(attemptsOf(t, ref).map((a) => a.outcome)).toEqual(['retry', 'delivered'])
  })

  it('keeps the attendee profile when the referrer profile fails, and creates only the referrer on the retry', async () => {
    const { fake, t } = await start()
    fake.faults.failNextOn('people/add', 503, { skip: 1 })
    const ref = await send(t)
    await waitForRow(t, ref, 'delivered', isDelivered)
    expect(routes(fake)).toEqual(['/people/add', '/people/add', '/people/add', '/referral/add'])
    expect(fake.profiles.filter((p) => p.role === 'user')).toHaveLength(1)
    expect(fake.profiles.filter((p) => p.role === 'contact')).toHaveLength(1)
    expect(fake.referrals).toHaveLength(1)
  })
})

describe('Lamplight failure classes', () => {
  it('holds the referral without using an attempt when profiles may not be added (1054)', async () => {
    const { fake, t } = await start()
    fake.faults.nextError('people/add', 1054)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'held', (r) => r.held_reason !== null)
    expect(row.attempts).toBe(0)
    expect(deliveryState(row)).toBe('held')
    expect(row.held_reason).toBe("Lamplight would not accept the attendee's profile (1054: No permission to add profiles of this type). " +
      'Check the publishing settings in Lamplight and LAMPLIGHT_* settings')
    await t.app.services.relay.worker.idle()
    expect(fake.requests).toHaveLength(1)
    expect(fake.profiles).toHaveLength(0)
  })

  it('holds the referral when Lamplight refuses the credentials (1027 with 401)', async () => {
    fake = await startFakeLamplight()
    t = await buildRelayApp({ env: lamplightEnv(fake, { LAMPLIGHT_KEY: 'll-key-wrong' }) })
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'held', (r) => r.held_reason !== null)
    expect(row.attempts).toBe(0)
    expect(row.held_reason).toMatch(/^Lamplight would not accept the attendee's profile \(1027: /)
    expect(row.held_reason).not.toContain('ll-key')
  })

  it('fails the referral at once when Lamplight rejects the referral data (1040)', async () => {
    const { fake, t } = await start()
    fake.faults.nextError('referral/add', 1040)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'failed', (r) => r.failed_at !== null)
    expect(row.attempts).toBe(1)
    expect(row.last_error).toBe('Lamplight refused the referral data (1040: Referral data provided was not valid)')
    await t.app.services.relay.worker.idle()
    expect(routes(fake)).toEqual(['/people/add', '/people/add', '/referral/add'])
  })

  it('fails the referral at once when Lamplight calls it an attack (9999)', async () => {
    const { fake, t } = await start()
    fake.faults.nextError('people/add', 9999)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'failed', (r) => r.failed_at !== null)
    expect(row.attempts).toBe(1)
    expect(row.last_error).toMatch(/^Lamplight refused the attendee's profile \(9999: Data provided may have been a malicious attack/)
    await t.app.services.relay.worker.idle()
    expect(fake.requests).toHaveLength(1)
  })

  it('marks the referral partly delivered when Lamplight saved it without some custom fields (1058)', async () => {
    const { fake, t } = await start()
    fake.faults.nextError('referral/add', 1058, { withId: true })
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'partly delivered', (r) => r.partly_delivered_at !== null)
    expect(deliveryState(row)).toBe('partly_delivered')
    expect(row.attempts).toBe(1)
    expect(row.delivered_at).toBeNull()
    expect(JSON.parse(row.crm_ids!)).toEqual({ attendee: 600, referrer: 601, referral: 30939 })
    expect(row.last_error).toBe('Lamplight saved the referral data but not some custom fields ' +
      '(1058: Problem saving some custom fields (core details will have been saved)). Staff must finish it in Lamplight')
    await t.app.services.relay.worker.idle()
    expect(fake.referrals).toHaveLength(1)
    expect(fake.requests).toHaveLength(3)
  })

  it('retries a bare 503 from Lamplight and then delivers', async () => {
    const { fake, t } = await start()
    fake.faults.failNext(2)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)
    expect(row.attempts).toBe(3)
    expect(attemptsOf(t, ref)[0]!.detail).toMatch(/^Lamplight answered 503 \(busy or unavailable\); will retry/)
    expect(fake.profiles).toHaveLength(2)
    expect(fake.referrals).toHaveLength(1)
  })
})
