/**
 * The relay as configured: the CRMs (src/crm/index.ts) and the worker over the outbox. Built by the
 * app; the worker starts when the app is ready and stops (gracefully) when it closes.
 */
import type { Dispatcher } from 'undici'
import type { Config } from '../config.js'
import { createCrms, type Crms } from '../crm/index.js'
import type { HttpTimeouts } from '../crm/http.js'
import type { Logger } from '../logger.js'
import type { Storage } from '../storage/index.js'
import { createWorker, type Worker } from './worker.js'

export interface RelayOptions {
  dispatcher?: Dispatcher
  timeouts?: Partial<HttpTimeouts>
  concurrency?: number
  pollMs?: number
  leaseMs?: number
  now?: () => number
  /** How many requests the server has received so far (the worker yields to visitors: worker.ts). */
  requestsSeen?: () => number
}

export interface Relay {
  crms: Crms
  worker: Worker
}

/** A claim outlasts the slowest delivery: three requests (Lamplight's longest), each with its timeouts, and a margin. */
export const leaseFor = (t: HttpTimeouts) => 3 * (t.connectMs + t.headersMs + t.bodyMs) + 5000

/**
 * With storage several servers share (PostgreSQL), a new referral on another server is found by a
 * look at the queue this often; the server that stored it is woken at once.
 */
export const SHARED_POLL_MS = 1000

export function createRelay (config: Config, storage: Pick<Storage, 'outbox' | 'submissions' | 'shared'>, log: Logger, opts: RelayOptions = {}): Relay {
  const t = config.crmTimeoutMs
  const timeouts: HttpTimeouts = { connectMs: Math.min(10_000, t), headersMs: t, bodyMs: t, ...opts.timeouts }
  const crms = createCrms(config, { dispatcher: opts.dispatcher, timeouts })
  const worker = createWorker({
    outbox: storage.outbox,
    submissions: storage.submissions,
    adapters: crms.adapters,
    heldReasons: crms.notConfigured,
    log,
    now: opts.now,
    retryBaseDelayMs: config.retryBaseDelayMs,
    maxAttempts: config.retryMaxAttempts,
    concurrency: opts.concurrency,
    pollMs: opts.pollMs ?? (storage.shared ? SHARED_POLL_MS : undefined),
    leaseMs: opts.leaseMs ?? leaseFor(timeouts),
    // Only a server alone on its storage knows that a claim it finds at start is a dead process's.
    resumeOrphans: !storage.shared,
    requestsSeen: opts.requestsSeen,
    retentionMs: config.retentionDays * 24 * 60 * 60 * 1000,
  })
  return { crms, worker }
}
