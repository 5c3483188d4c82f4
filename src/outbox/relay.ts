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

export function createRelay (config: Config, storage: Pick<Storage, 'outbox' | 'submissions'>, log: Logger, opts: RelayOptions = {}): Relay {
  const crms = createCrms(config, { dispatcher: opts.dispatcher, timeouts: opts.timeouts })
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
    pollMs: opts.pollMs,
    leaseMs: opts.leaseMs,
    requestsSeen: opts.requestsSeen,
    retentionMs: config.retentionDays * 24 * 60 * 60 * 1000,
  })
  return { crms, worker }
}
