/**
 * Delivery outcomes through the real app and the worker, against the fake Charitylog over real HTTP:
 * retries with backoff, timeouts, refused connections, attempts used up, and each failure class.
 */
import { describe, expect, it } from 'vitest'
import { retryDelay } from '../../src/outbox/backoff.js'
import { deliveryState } from '../../src/outbox/delivery-state.js'
import type { TestApp } from '../helpers/app.js'
import { ROTATED_USER_KEY, useCharitylogFixture } from '../helpers/charitylog-fixture.js'
import { charitylogEnv, isDelivered, rowOf, testClock, waitForRow } from '../helpers/relay.js'

const { app, attemptsOf, closeApp, dataDir, fake, send } = useCharitylogFixture()
/** Resolves once nothing is in flight and nothing is due: nothing more will be sent on its own. */
const settled = (t: TestApp) => t.app.services.relay.worker.idle()

describe('retrying a Charitylog that is down', () => {
  it('delivers after three 503 answers, with four attempts recorded and the delays doubling', async () => {
    const f = await fake()
    f.faults.failNext(3)
    const t = await app(charitylogEnv(f))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)

    expect(row.attempts).toBe(4)
    expect(row.delivered_at).toBeGreaterThan(0)
    expect(row.failed_at).toBeNull()
    expect(row.last_error).toBeNull()
    expect(deliveryState(row)).toBe('delivered')
    const history = attemptsOf(t, ref)
    expect(history.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'delivered'])
    expect(history[0]!.detail).toBe('Charitylog answered 503 (busy or unavailable); will retry: Service Unavailable')
    // Each retry waited at least the jittered backoff: 20, 40, 80 ms at -20 %.
    for (let i = 0; i < 3; i++) {
      expect(history[i + 1]!.started_at - history[i]!.finished_at).toBeGreaterThanOrEqual(retryDelay(i + 1, 20, 0))
    }
    expect(f.requests).toHaveLength(4)
    expect(f.referrals).toHaveLength(1)
  })

  it('gives up waiting for an answer after the response timeout, and delivers on the retry', async () => {
    const f = await fake()
    f.faults.hangNext(1)
    const t = await app(charitylogEnv(f))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)
    expect(row.attempts).toBe(2)
    const [first] = attemptsOf(t, ref)
    expect(first).toMatchObject({ outcome: 'retry', detail: 'Could not reach Charitylog (no answer within 0.3 s); will retry' })
    expect(first!.finished_at - first!.started_at).toBeGreaterThanOrEqual(290)
    expect(first!.finished_at - first!.started_at).toBeLessThan(3000)
    expect(f.referrals).toHaveLength(1)
  })

  it('gives up on an answer whose body stalls, and delivers on the retry', async () => {
    const f = await fake()
    f.faults.hangNext(1, 'body')
    const t = await app(charitylogEnv(f))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)
    expect(row.attempts).toBe(2)
    expect(attemptsOf(t, ref)[0]).toMatchObject({ outcome: 'retry', detail: 'Could not reach Charitylog (the answer stalled for 0.3 s); will retry' })
  })

  it('keeps retrying while the connection is refused, and delivers once Charitylog listens again', async () => {
    const down = await fake()
    const port = Number(new URL(down.url).port)
    await down.faults.refuseConnections()
    const t = await app(charitylogEnv(down))
    const ref = await send(t)
    await waitForRow(t, ref, 'two refused attempts', (r) => r.attempts >= 2)
    expect(rowOf(t, ref).last_error).toBe('Could not reach Charitylog (connection refused); will retry')
    expect(deliveryState(rowOf(t, ref))).toBe('waiting')

    const up = await fake(port)
    const row = await waitForRow(t, ref, 'delivered', isDelivered)
    expect(row.attempts).toBeGreaterThanOrEqual(3)
    expect(up.referrals).toHaveLength(1)
  })

  it('marks the referral failed once RETRY_MAX_ATTEMPTS attempts are used up, and stops sending it', async () => {
    const f = await fake()
    f.faults.failNext(100)
    const t = await app(charitylogEnv(f, { RETRY_MAX_ATTEMPTS: '3' }))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'failed', (r) => r.failed_at !== null)
    expect(row.attempts).toBe(3)
    expect(row.next_attempt_at).toBeNull()
    expect(row.last_error).toMatch(/^Charitylog answered 503/)
    expect(deliveryState(row)).toBe('failed')
    await settled(t)
    expect(f.requests).toHaveLength(3)
    expect(attemptsOf(t, ref).map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry'])
  })
})

describe('Charitylog failure classes', () => {
  it('holds the referral without using an attempt when the keys are refused (401), and delivers once they are fixed', async () => {
    const f = await fake()
    const dir = dataDir()
    const t = await app(charitylogEnv(f, { CHARITYLOG_USER_KEY: ROTATED_USER_KEY }), { dataDir: dir })
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'held', (r) => r.held_reason !== null)
    expect(row.attempts).toBe(0)
    expect(row.next_attempt_at).toBeNull()
    expect(row.failed_at).toBeNull()
    expect(deliveryState(row)).toBe('held')
    expect(row.held_reason).toBe('Charitylog answered 401: the API keys were not accepted. Check CHARITYLOG_* settings')
    expect(attemptsOf(t, ref).map((a) => a.outcome)).toEqual(['held'])
    await settled(t)
    expect(f.requests).toHaveLength(1)
    // Logged loudly (pino level 50 = error), with the reference and no key.
    const line = t.logs.find((l) => l.includes('Referral held'))
    expect(line).toContain(ref)
    expect(JSON.parse(line!).level).toBe(50)
    await closeApp(t)

    const fixed = await app(charitylogEnv(f), { dataDir: dir })
    const delivered = await waitForRow(fixed, ref, 'delivered', isDelivered)
    expect(delivered.attempts).toBe(1)
    expect(f.referrals).toHaveLength(1)
  })

  it('fails the referral at once, with the reason, when Charitylog rejects the data (400)', async () => {
    const f = await fake()
    f.faults.nextStatus(400, { error: 'Person 1: date_of_birth is not valid' })
    const t = await app(charitylogEnv(f))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'failed', (r) => r.failed_at !== null)
    expect(row.attempts).toBe(1)
    expect(row.last_error).toBe('Charitylog refused the referral (400): Person 1: date_of_birth is not valid')
    expect(deliveryState(row)).toBe('failed')
    await settled(t)
    expect(f.requests).toHaveLength(1)
    expect(attemptsOf(t, ref).map((a) => a.outcome)).toEqual(['rejected'])
  })

  it.each([
    [408, 'waiting'], [429, 'waiting'], [500, 'waiting'], [502, 'waiting'],
    [403, 'held'], [404, 'failed'], [422, 'failed'],
  ] as const)('treats an HTTP %i answer as %s', async (status, state) => {
    const f = await fake()
    f.faults.nextStatus(status, 'nope')
    // One attempt only for the retry classes would fail them; keep the retries far apart instead.
    const t = await app(charitylogEnv(f, { RETRY_BASE_DELAY_MS: '60000' }))
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'one attempt', (r) => attemptsOf(t, ref).length === 1 && r.lease_until === null)
    expect(deliveryState(row)).toBe(state)
    expect(row.attempts).toBe(state === 'held' ? 0 : 1)
    if (state === 'waiting') expect(row.next_attempt_at).toBeGreaterThan(testClock().getTime() + 30_000)
  })
})
