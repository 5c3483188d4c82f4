/**
 * The delivery worker. Delivery guarantee: AT LEAST ONCE. A submission is committed to storage before
 * the visitor sees the confirmation; the worker leases due rows, sends each through its CRM adapter,
 * and records the outcome. If the process dies mid-delivery the lease expires and the row is sent
 * again, so a CRM may see a referral twice in that narrow case (Charitylog's staging area lets the
 * admin reject a duplicate; Lamplight resumes from the saved profile IDs and never re-creates one).
 *
 * Runs inside the server process, never in a request: the visitor never waits for a CRM.
 */
import { performance } from 'node:perf_hooks'
import { DESTINATIONS } from '../crm/index.js'
import type { CrmAdapter, DestinationType } from '../crm/types.js'
import type { Logger } from '../logger.js'
import type { ClaimedSubmission, OutboxStore, SubmissionStore } from '../storage/index.js'
import { isUnavailable } from '../storage/errors.js'
import { retryDelay } from './backoff.js'
import { createPoller } from './poller.js'

export interface WorkerOptions {
  outbox: OutboxStore
  /** Spent form tokens are forgotten here too, with the retention purge. */
  submissions: Pick<SubmissionStore, 'purgeSpentTokens'>
  /** Adapters of the destinations that have credentials. A destination without one is held. */
  adapters: Partial<Record<DestinationType, CrmAdapter>>
  /** Why a destination has no adapter (e.g. which variables are missing), for staff and the log. */
  heldReasons: Partial<Record<DestinationType, string>>
  log: Logger
  now?: () => number
  retryBaseDelayMs: number
  maxAttempts: number
  /** Deliveries at once. */
  concurrency?: number
  /** Longer than the slowest delivery can take (three requests with their timeouts). */
  leaseMs?: number
  /** Longest sleep between looks at the queue (new submissions also wake the worker). */
  pollMs?: number
  /** Personal data of delivered referrals is deleted this long after delivery. */
  retentionMs: number
  /** How many requests the server has received so far: a busy loop with none is the worker's own work. */
  requestsSeen?: () => number
  /**
   * Default true: at start, every claim is a dead process's (one server per storage, under the instance
   * lock) and is sent again at once. False when servers share the storage: a claim may be a live
   * server's, so it is left to expire.
   */
  resumeOrphans?: boolean
}

export interface Worker {
  /** Releases the claims of a dead process and held rows that can now be sent, then starts looking. */
  start (): Promise<void>
  /** A new submission was stored: look now instead of at the next poll. */
  wake (): void
  /** Stops claiming and waits (at most `graceMs`) for deliveries in flight. Idempotent. */
  stop (graceMs?: number): Promise<void>
  /** Resolves when nothing is in flight and nothing is due (for tests and the bench). */
  idle (): Promise<void>
}

/**
 * Visitors first: when the event loop has been busier than this over the last look (a flood of
 * visitors), the worker sends one referral at a time instead of `concurrency`, with a pause of
 * BUSY_PAUSE_MS between them (still up to 50 a second, far more than any charity receives).
 * Deliveries cost CPU on the same thread and can wait a moment; visitors should not. It never stops altogether, so a backlog still drains during a long flood.
 */
export const BUSY_LOOP_UTILISATION = 0.8
export const BUSY_PAUSE_MS = 20
const LOOK_EVERY_MS = 100

/**
 * Whether visitors are flooding in: the event loop was busier than BUSY_LOOP_UTILISATION over the last
 * look (LOOK_EVERY_MS or so) and requests came in meanwhile. A loop busy with deliveries alone (a
 * backlog draining at night) is not a flood: the worker then keeps its full concurrency.
 */
export function loopWatcher (requestsSeen?: () => number): () => boolean {
  let mark = performance.eventLoopUtilization()
  let at = performance.now()
  let seen = requestsSeen?.()
  let busy = false
  return () => {
    const t = performance.now()
    if (t - at >= LOOK_EVERY_MS) {
      const next = performance.eventLoopUtilization()
      const requests = requestsSeen?.()
      // Without a count of requests (a worker outside the app), any busy loop counts as a flood.
      const cameIn = requestsSeen === undefined || requests !== seen
      busy = performance.eventLoopUtilization(next, mark).utilization > BUSY_LOOP_UTILISATION && cameIn
      mark = next
      at = t
      seen = requests
    }
    return busy
  }
}

const PURGE_EVERY_MS = 60 * 60 * 1000

export function createWorker (o: WorkerOptions): Worker {
  const now = o.now ?? Date.now
  const concurrency = o.concurrency ?? 4
  const leaseMs = o.leaseMs ?? 5 * 60 * 1000
  const pollMs = o.pollMs ?? 5000
  const live = DESTINATIONS.filter((d) => o.adapters[d] !== undefined)
  const inFlight = new Set<Promise<void>>()
  const loopBusy = loopWatcher(o.requestsSeen)
  /** How many deliveries may be in flight now. */
  const limit = () => (loopBusy() ? 1 : concurrency)
  let stopping: Promise<void> | undefined
  let lastPurge = 0
  let idleWaiters: Array<() => void> = []

  async function holdUnconfigured () {
    for (const d of DESTINATIONS) {
      const reason = o.heldReasons[d]
      if (o.adapters[d] || !reason) continue
      const n = await o.outbox.holdDestination(d, reason, now())
      if (n > 0) o.log.warn({ destination: d, count: n }, `Holding ${n} referral(s): ${reason}`)
    }
  }

  async function deliver (row: ClaimedSubmission) {
    const started = now()
    const adapter = o.adapters[row.destination]
    if (!adapter) return
    let outcome
    try {
      outcome = await adapter.deliver(row.payload, {
        // As claimed (the claim reads the row): a query fewer per delivery than asking again.
        ids: row.progress === null ? {} : JSON.parse(row.progress) as Record<string, string | number>,
        save: (key, id) => o.outbox.saveProgress(row.id, key, id),
      })
    } catch (err) {
      // An adapter must not throw; if one does it is a bug, and the referral must still not be lost.
      o.log.error({ reference: row.reference, err: (err as Error).name }, 'Adapter threw; will retry')
      outcome = { kind: 'retry' as const, reason: 'An unexpected error happened while sending; will retry' }
    }
    const finished = now()
    // What the CRM did must be written down, or the row is sent again when its lease ends (a duplicate
    // at the CRM). A database that is out of reach for a moment (restarting) is waited for, while the
    // claim lasts; anything else (the database closed while shutting down past the grace period) gives up.
    const giveUpAt = performance.now() + leaseMs / 2
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      try {
        await o.outbox.record(row, outcome, started, finished, finished + retryDelay(row.attempts + 1, o.retryBaseDelayMs), o.maxAttempts)
        break
      } catch (err) {
        if (!isUnavailable(err) || performance.now() + wait > giveUpAt) {
          o.log.error({ reference: row.reference, err: (err as Error).message }, 'Could not record a delivery outcome; it will be sent again when its claim ends')
          return
        }
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
    const fields = { reference: row.reference, destination: row.destination, outcome: outcome.kind, attempt: row.attempts + 1 }
    if (outcome.kind === 'delivered') o.log.info(fields, 'Referral delivered')
    else if (outcome.kind === 'held') o.log.error({ ...fields, reason: outcome.reason }, 'Referral held: configuration problem')
    else o.log.warn({ ...fields, reason: outcome.reason }, `Referral not delivered (${outcome.kind})`)
  }

  /** The next look after a delivery or a new submission: at once, or after a pause while visitors flood in. */
  const soon = () => (loopBusy() ? BUSY_PAUSE_MS : 0)

  const poller = createPoller(pollMs, () => look(),
    // Said once per outage, not at every look.
    (err, first) => { if (first) o.log.error({ err: (err as Error).message }, 'The delivery worker could not read the outbox; trying again every few seconds') },
    () => o.log.info({}, 'The delivery worker can read the outbox again'))
  const schedule = (delay: number) => poller.schedule(delay)

  async function look () {
    const t = now()
    if (t - lastPurge >= PURGE_EVERY_MS) {
      lastPurge = t
      const n = await o.outbox.purgeDelivered(t - o.retentionMs, t)
      if (n > 0) o.log.info({ count: n }, 'Deleted the personal data of delivered referrals past the retention period')
      await o.submissions.purgeSpentTokens(t)
    }
    await holdUnconfigured()
    const room = limit() - inFlight.size
    const rows = room > 0 ? await o.outbox.claimDue(t, leaseMs, room, live) : []
    if (!poller.running) return // stopped meanwhile: the leases just taken expire, and the rows are sent after restart
    for (const row of rows) {
      const p = deliver(row).finally(() => {
        inFlight.delete(p)
        schedule(soon())
      })
      inFlight.add(p)
    }
    if (inFlight.size === 0) {
      const next = await o.outbox.nextDueAt(live)
      if (inFlight.size > 0) return
      if (next === undefined || next > now()) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
      schedule(next === undefined ? pollMs : next - now())
    }
  }

  return {
    async start () {
      if (poller.running || stopping) return
      poller.start()
      for (const d of DESTINATIONS) {
        if (!o.adapters[d] && o.heldReasons[d]) o.log.warn({ destination: d }, `${d} referrals will be held: ${o.heldReasons[d]}`)
      }
      // Alone on the storage (the instance lock, instance-lock.ts), a claim that exists now was left by
      // a process that died mid-delivery: send it again at once rather than after its lease.
      if (o.resumeOrphans !== false) {
        const orphans = await o.outbox.releaseAllLeases()
        if (orphans > 0) o.log.warn({ count: orphans }, `Resuming ${orphans} delivery(ies) interrupted by a stop`)
      }
      // Credentials may have been fixed since the last run: held rows of a live destination get another try.
      for (const d of live) {
        const n = await o.outbox.releaseHeld(d, now())
        if (n > 0) o.log.info({ destination: d, count: n }, `Released ${n} held referral(s) to try again`)
      }
      schedule(0)
    },
    wake () {
      if (poller.running && inFlight.size < limit()) schedule(soon())
    },
    stop (graceMs = 10_000) {
      stopping ??= (async () => {
        poller.stop()
        let grace: NodeJS.Timeout | undefined
        const waited = await Promise.race([
          // The look under way may still start deliveries: wait for it, then for them.
          Promise.resolve(poller.current).then(() => Promise.allSettled([...inFlight])).then(() => true),
          new Promise<boolean>((resolve) => { grace = setTimeout(() => resolve(false), graceMs) }),
        ])
        clearTimeout(grace)
        if (!waited) o.log.warn({ inFlight: inFlight.size }, 'Stopped with deliveries in flight; their leases will expire and they will be sent again')
        for (const w of idleWaiters) w()
        idleWaiters = []
      })()
      return stopping
    },
    idle () {
      return new Promise((resolve) => {
        idleWaiters.push(resolve)
        schedule(0)
      })
    },
  }
}
