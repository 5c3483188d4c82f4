/**
 * The relay as configured: one adapter per destination that has credentials, the reason for each
 * that has not, and the worker over the outbox. Built by the app; the worker starts when the app is
 * ready and stops (gracefully) when it closes.
 */
import type { Dispatcher } from 'undici'
import type { Config } from '../config.js'
import { createCharitylogAdapter } from '../crm/charitylog.js'
import type { HttpTimeouts } from '../crm/http.js'
import { createLamplightAdapter } from '../crm/lamplight.js'
import type { CrmAdapter, DestinationType } from '../crm/types.js'
import type { Logger } from '../forms/registry.js'
import { createOutbox, type Outbox } from './outbox.js'
import type { SqliteStore } from './sqlite-store.js'
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
  outbox: Outbox
  worker: Worker
  /** Destinations without credentials, and why (variable names only). */
  heldReasons: Partial<Record<DestinationType, string>>
}

export function createRelay (config: Config, store: SqliteStore, log: Logger, opts: RelayOptions = {}): Relay {
  const adapters: Partial<Record<DestinationType, CrmAdapter>> = {}
  const heldReasons: Partial<Record<DestinationType, string>> = {}
  const http = { dispatcher: opts.dispatcher, timeouts: opts.timeouts }
  if (config.charitylog.credentials) {
    adapters.charitylog = createCharitylogAdapter({ apiUrl: config.charitylog.apiUrl, credentials: config.charitylog.credentials, ...http })
  } else {
    heldReasons.charitylog = `Charitylog is not configured: set ${config.charitylog.missing.join(', ')} and restart the server`
  }
  if (config.lamplight.credentials) {
    adapters.lamplight = createLamplightAdapter({ apiUrl: config.lamplight.apiUrl, credentials: config.lamplight.credentials, ...http })
  } else {
    heldReasons.lamplight = `Lamplight is not configured: set ${config.lamplight.missing.join(', ')} and restart the server`
  }
  const outbox = createOutbox(store)
  const worker = createWorker({
    outbox,
    adapters,
    heldReasons,
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
  return { outbox, worker, heldReasons }
}
