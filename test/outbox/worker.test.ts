/**
 * The worker through the real app and the fake Charitylog: a destination without credentials, leases
 * left by a dead process, bounded concurrency, and a graceful shutdown.
 */
import { describe, expect, it } from 'vitest'
import { FAKE_CHARITYLOG_KEYS as KEYS } from '../fakes/fake-charitylog.js'
import { useCharitylogFixture } from '../helpers/charitylog-fixture.js'
import { loopWatcher } from '../../src/outbox/worker.js'
import { charitylogEnv, FAST_RELAY, isDelivered, rowOf, testClock, waitFor, waitForRow } from '../helpers/relay.js'

const { app, attemptsOf, closeApp, dataDir, fake, send } = useCharitylogFixture()

describe('a destination without credentials', () => {
  it('holds the referral with a reason naming the missing variables, and delivers it after a restart with them set', async () => {
    const f = await fake()
    const dir = dataDir()
    const partial = { CHARITYLOG_API_URL: f.url, CHARITYLOG_SOURCE_KEY: KEYS.sourceKey, RETRY_BASE_DELAY_MS: '20' }
    const t = await app(partial, { dataDir: dir })
    const reason = 'Charitylog is not configured: set CHARITYLOG_ORG_KEY, CHARITYLOG_USER_KEY and restart the server'
    expect(t.logs.some((l) => l.includes(`charitylog referrals will be held: ${reason}`))).toBe(true)
    const ref = await send(t)
    const row = await waitForRow(t, ref, 'held', (r) => r.held_reason !== null)
    expect(row.held_reason).toBe(reason)
    expect(row.held_reason).not.toContain(KEYS.sourceKey)
    expect(row.attempts).toBe(0)
    expect(f.requests).toHaveLength(0)
    await closeApp(t)

    const restarted = await app(charitylogEnv(f), { dataDir: dir })
    const delivered = await waitForRow(restarted, ref, 'delivered', isDelivered)
    expect(delivered.held_reason).toBeNull()
    expect(f.referrals).toHaveLength(1)
  })
})

describe('the worker', () => {
  it('sends a claim left by a process that died as soon as the next server starts, not after the lease', async () => {
    const f = await fake()
    const dir = dataDir()
    const dead = await app(charitylogEnv(f), { dataDir: dir, startWorker: false })
    const ref = await send(dead)
    const claimed = await dead.app.services.storage.outbox.claimDue(testClock().getTime(), 10 * 60 * 1000, 10, ['charitylog'])
    expect(claimed.map((r) => r.reference)).toEqual([ref])
    const leaseUntil = claimed[0]!.lease_until!
    await closeApp(dead)

    const t = await app(charitylogEnv(f), { dataDir: dir })
    const row = await waitForRow(t, ref, 'delivered', isDelivered)
    expect(row.delivered_at).toBeLessThan(leaseUntil)
    expect(row.attempts).toBe(1)
    expect(f.referrals).toHaveLength(1)
  })

  it('refuses to start a second delivering server on the same data folder', async () => {
    const f = await fake()
    const dir = dataDir()
    await app(charitylogEnv(f), { dataDir: dir })
    await expect(app(charitylogEnv(f), { dataDir: dir })).rejects.toThrow(/already using/)
  })

  it('never has more deliveries in flight than its concurrency', async () => {
    const f = await fake()
    f.faults.delayMs = 80
    const dir = dataDir()
    // Six referrals stored while no worker runs, so all six are due at once when one starts.
    const stored = await app(charitylogEnv(f), { dataDir: dir, startWorker: false })
    const refs: string[] = []
    for (let i = 0; i < 6; i++) refs.push(await send(stored))
    await closeApp(stored)

    const t = await app(charitylogEnv(f), { dataDir: dir, relay: { ...FAST_RELAY, concurrency: 2 } })
    await waitFor('all delivered', () => refs.every((r) => isDelivered(rowOf(t, r))))
    const spans = refs.flatMap((r) => attemptsOf(t, r)).map((a) => [a.started_at, a.finished_at] as const)
    const most = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length))
    expect(most).toBe(2)
    expect(f.referrals).toHaveLength(6)
  })

  it('lets a delivery in flight finish and records it when the app closes, and claims nothing more', async () => {
    const f = await fake()
    f.faults.delayMs = 800
    const dir = dataDir()
    const t = await app(charitylogEnv(f), { dataDir: dir, relay: { timeouts: { headersMs: 5000 }, concurrency: 1 } })
    const inFlight = await send(t)
    await waitFor('the request to arrive', () => f.requests.length === 1)
    const waiting = await send(t)
    expect(rowOf(t, inFlight).delivered_at).toBeNull()
    await closeApp(t)
    expect(f.referrals).toHaveLength(1)
    expect(f.requests).toHaveLength(1)

    const reopened = await app(charitylogEnv(f), { dataDir: dir, startWorker: false })
    const row = rowOf(reopened, inFlight)
    expect(row.delivered_at).not.toBeNull()
    expect(row.lease_until).toBeNull()
    expect(row.attempts).toBe(1)
    const [attempt] = await reopened.app.services.storage.outbox.attempts(row.id)
    expect(attempt!.outcome).toBe('delivered')
    expect(attempt!.finished_at - attempt!.started_at).toBeGreaterThanOrEqual(790)
    // The one still waiting was not claimed during the shutdown: no lease, sent after the next start.
    expect(rowOf(reopened, waiting)).toMatchObject({ attempts: 0, lease_until: null, delivered_at: null })
  })
})

describe('visitors first', () => {
  const spin = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) { /* a flood of visitors */ } }
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  it('sees a flood of visitors (a busy loop while requests come in) and a quiet spell', async () => {
    let requests = 0
    const busy = loopWatcher(() => requests)
    await pause(120)
    expect(busy()).toBe(false) // a look at a quiet loop; the next look covers what happens from here
    requests += 100
    spin(150)
    expect(busy()).toBe(true)
    await pause(250)
    expect(busy()).toBe(false)
  })

  it('takes any busy loop for a flood when it has no count of requests (a worker outside the app)', async () => {
    const busy = loopWatcher()
    await pause(120)
    busy()
    spin(150)
    expect(busy()).toBe(true)
  })

  it('does not take a loop busy with deliveries alone (no requests) for a flood', async () => {
    const busy = loopWatcher(() => 0)
    await pause(120)
    busy()
    spin(150)
    expect(busy()).toBe(false)
  })
})
