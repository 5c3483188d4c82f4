/**
 * The outbox: the submissions table seen as a queue. Every change of delivery state is one
 * statement (or one transaction) on facts: attempts, next_attempt_at, lease_until, delivered_at,
 * failed_at, held_reason, partly_delivered_at. See `deliveryState` for how a state is read from them.
 *
 * Claims are leases: a claimed row carries `lease_until`; a process killed mid-delivery leaves a
 * lease that simply expires, and the row is claimed again (at-least-once delivery).
 */
import type { CrmPayload, DeliveryOutcome, DestinationType } from '../crm/types.js'
import type { SqliteStore, SubmissionRow } from './sqlite-store.js'

/** Where a row can still be sent from: not delivered, failed, partly delivered, quarantined, handled by hand or held. */
const PENDING = 'delivered_at IS NULL AND failed_at IS NULL AND partly_delivered_at IS NULL AND quarantined_at IS NULL AND handled_at IS NULL'

export interface AttemptRow { submission_id: number, started_at: number, finished_at: number, outcome: string, detail: string | null }

export interface Outbox {
  /** Leases up to `limit` due rows (oldest first) for `leaseMs`. */
  claimDue (now: number, leaseMs: number, limit: number, destinations: readonly DestinationType[]): SubmissionRow[]
  /** Decrypted payload, or undefined once personal data has been deleted. */
  payloadOf (row: SubmissionRow): CrmPayload | undefined
  /** Records one attempt's outcome. `retryAt` is used for `retry` unless attempts are used up. */
  record (row: SubmissionRow, outcome: DeliveryOutcome, startedAt: number, now: number, retryAt: number, maxAttempts: number): void
  saveProgress (id: number, key: string, value: string | number): void
  progressOf (id: number): Record<string, string | number>
  /** Marks every pending, unheld row of a destination as held (no credentials). Returns how many. */
  holdDestination (destination: DestinationType, reason: string): number
  /** Releases held rows of a destination that can now be tried (credentials set); they become due at `now`. */
  releaseHeld (destination: DestinationType, now: number): number
  /** Makes one row due now again, whatever stopped it (staff or CLI retry). Not for delivered, handled or quarantined rows. */
  retryNow (reference: string, now: number): boolean
  /**
   * Staff entered it in the CRM by hand: records `handled_at`, so it is never sent again. Only for a row
   * that is neither delivered, quarantined nor already handled. Returns whether a row was marked.
   */
  markHandled (reference: string, now: number): boolean
  /** A quarantined row staff judged genuine: no longer quarantined, due now. Returns whether one was released. */
  releaseQuarantined (reference: string, now: number): boolean
  /** Deletes a quarantined row and its attempts for good. Returns whether one was deleted. */
  deleteQuarantined (reference: string): boolean
  /** Deletes payload and answers of rows delivered (or handled by hand) before `before`. Returns how many. */
  purgeDelivered (before: number, now: number): number
  /** Forgets spent form-token nonces past their expiry (see SqliteStore.purgeSpentTokens). */
  purgeSpentTokens (now: number): number
  attempts (id: number): AttemptRow[]
  /** The next time a pending row falls due, if any (to sleep until then). */
  nextDueAt (destinations: readonly DestinationType[]): number | undefined
}

export function createOutbox (store: SqliteStore): Outbox {
  const { db } = store
  const inList = (n: number) => Array.from({ length: n }, () => '?').join(',')
  const insertAttempt = db.prepare('INSERT INTO delivery_attempts (submission_id, started_at, finished_at, outcome, detail) VALUES (?, ?, ?, ?, ?)')

  const delivered = db.prepare(`UPDATE submissions SET delivered_at = @now, attempts = attempts + 1, lease_until = NULL,
    next_attempt_at = NULL, last_error = NULL, held_reason = NULL, crm_ids = @ids, crm_response = @raw WHERE id = @id`)
  const partly = db.prepare(`UPDATE submissions SET partly_delivered_at = @now, attempts = attempts + 1, lease_until = NULL,
    next_attempt_at = NULL, last_error = @reason, crm_ids = @ids, crm_response = @raw WHERE id = @id`)
  const retry = db.prepare(`UPDATE submissions SET attempts = attempts + 1, lease_until = NULL, last_error = @reason,
    next_attempt_at = CASE WHEN attempts + 1 >= @max THEN NULL ELSE @retryAt END,
    failed_at = CASE WHEN attempts + 1 >= @max THEN @now ELSE NULL END WHERE id = @id`)
  const held = db.prepare(`UPDATE submissions SET held_reason = @reason, last_error = @reason, lease_until = NULL,
    next_attempt_at = NULL WHERE id = @id`)
  const rejected = db.prepare(`UPDATE submissions SET attempts = attempts + 1, failed_at = @now, lease_until = NULL,
    next_attempt_at = NULL, last_error = @reason WHERE id = @id`)

  // The CRM's answer may repeat the referral back (Charitylog's success body is undocumented), so it is
  // personal data: sealed like the payload, and deleted with it.
  const sealRaw = (row: SubmissionRow, raw: string | undefined) => raw === undefined ? null : store.sealer.seal(raw.slice(0, 2000), row.reference)

  return {
    claimDue (now, leaseMs, limit, destinations) {
      if (destinations.length === 0 || limit <= 0) return []
      return db.prepare(`UPDATE submissions SET lease_until = ? WHERE id IN (
          SELECT id FROM submissions WHERE ${PENDING} AND held_reason IS NULL
            AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
            AND destination IN (${inList(destinations.length)})
          ORDER BY next_attempt_at, id LIMIT ?)
        RETURNING *`).all(now + leaseMs, now, now, ...destinations, limit) as SubmissionRow[]
    },
    payloadOf (row) {
      return store.readPersonalData(row)?.payload
    },
    record (row, outcome, startedAt, now, retryAt, maxAttempts) {
      db.transaction(() => {
        switch (outcome.kind) {
          case 'delivered':
            delivered.run({ id: row.id, now, ids: JSON.stringify(outcome.crmIds), raw: sealRaw(row, outcome.raw) })
            break
          case 'partly_delivered':
            partly.run({ id: row.id, now, reason: outcome.reason, ids: JSON.stringify(outcome.crmIds), raw: sealRaw(row, outcome.raw) })
            break
          case 'retry':
            retry.run({ id: row.id, now, reason: outcome.reason, retryAt, max: maxAttempts })
            break
          case 'held':
            held.run({ id: row.id, reason: outcome.reason })
            break
          case 'rejected':
            rejected.run({ id: row.id, now, reason: outcome.reason })
            break
          default: {
            const unexpected: never = outcome
            throw new Error(`Unexpected outcome: ${JSON.stringify(unexpected)}`)
          }
        }
        insertAttempt.run(row.id, startedAt, now, outcome.kind, 'reason' in outcome ? outcome.reason : null)
      })()
    },
    saveProgress (id, key, value) {
      db.prepare("UPDATE submissions SET progress = json_set(coalesce(progress, '{}'), '$.' || ?, ?) WHERE id = ?").run(key, value, id)
    },
    progressOf (id) {
      const row = db.prepare('SELECT progress FROM submissions WHERE id = ?').get(id) as { progress: string | null } | undefined
      return row?.progress ? JSON.parse(row.progress) as Record<string, string | number> : {}
    },
    holdDestination (destination, reason) {
      return db.prepare(`UPDATE submissions SET held_reason = ?, next_attempt_at = NULL WHERE ${PENDING} AND held_reason IS NULL AND destination = ?`)
        .run(reason, destination).changes
    },
    releaseHeld (destination, now) {
      return db.prepare(`UPDATE submissions SET held_reason = NULL, next_attempt_at = ? WHERE ${PENDING} AND held_reason IS NOT NULL AND destination = ?`)
        .run(now, destination).changes
    },
    retryNow (reference, now) {
      return db.prepare(`UPDATE submissions SET held_reason = NULL, failed_at = NULL, lease_until = NULL, next_attempt_at = ?,
          attempts = CASE WHEN failed_at IS NOT NULL THEN 0 ELSE attempts END
        WHERE reference = ? AND delivered_at IS NULL AND partly_delivered_at IS NULL AND quarantined_at IS NULL AND handled_at IS NULL
          AND payload IS NOT NULL`)
        .run(now, reference).changes === 1
    },
    markHandled (reference, now) {
      return db.prepare(`UPDATE submissions SET handled_at = ?, next_attempt_at = NULL, lease_until = NULL
        WHERE reference = ? AND delivered_at IS NULL AND quarantined_at IS NULL AND handled_at IS NULL`).run(now, reference).changes === 1
    },
    releaseQuarantined (reference, now) {
      return db.prepare(`UPDATE submissions SET quarantined_at = NULL, next_attempt_at = ?, lease_until = NULL
        WHERE reference = ? AND quarantined_at IS NOT NULL AND payload IS NOT NULL`).run(now, reference).changes === 1
    },
    deleteQuarantined (reference) {
      return db.prepare('DELETE FROM submissions WHERE reference = ? AND quarantined_at IS NOT NULL').run(reference).changes === 1
    },
    purgeDelivered (before, now) {
      return db.prepare(`UPDATE submissions SET payload = NULL, answers = NULL, progress = NULL, crm_response = NULL, purged_at = ?
        WHERE coalesce(delivered_at, handled_at) < ? AND purged_at IS NULL`).run(now, before).changes
    },
    purgeSpentTokens: (now) => store.purgeSpentTokens(now),
    attempts (id) {
      return db.prepare('SELECT * FROM delivery_attempts WHERE submission_id = ? ORDER BY id').all(id) as AttemptRow[]
    },
    nextDueAt (destinations) {
      if (destinations.length === 0) return undefined
      const row = db.prepare(`SELECT min(max(next_attempt_at, coalesce(lease_until, 0))) AS due FROM submissions
        WHERE ${PENDING} AND held_reason IS NULL AND next_attempt_at IS NOT NULL AND destination IN (${inList(destinations.length)})`)
        .get(...destinations) as { due: number | null }
      return row.due ?? undefined
    },
  }
}
