/**
 * The outbox: the submissions table seen as a queue. Every change of delivery state is one
 * statement (or one transaction) on facts: attempts, next_attempt_at, lease_until, delivered_at,
 * failed_at, held_reason, partly_delivered_at, quarantined_at, handled_at. See `deliveryState` for how a state
 * is read from them.
 *
 * Claims are leases: a claimed row carries `lease_until`; a process killed mid-delivery leaves a
 * lease that simply expires, and the row is claimed again (at-least-once delivery).
 */
import type { CrmPayload, DeliveryOutcome, DestinationType } from '../crm/types.js'
import type { Statement } from 'better-sqlite3'
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
  /** Releases every claim (at start, under the instance lock: any claim then is a dead process's). */
  releaseAllLeases (): number
  /** Forgets spent form-token nonces past their expiry (see SqliteStore.purgeSpentTokens). */
  purgeSpentTokens (now: number): number
  attempts (id: number): AttemptRow[]
  /**
   * The next time a pending row falls due, if any (to sleep until then). Rows being sent are left out:
   * the end of their delivery wakes the worker (a claim left by a dead process is released at start).
   */
  nextDueAt (destinations: readonly DestinationType[]): number | undefined
}

export function createOutbox (store: SqliteStore): Outbox {
  // The worker's busy writes (claims, outcomes, holding) go through the group-commit connection: no
  // fsync blocks the event loop per statement. An outcome is flushed right after (not awaited: until
  // then a power cut can only undo it, and the lease makes the row be sent again, at least once).
  // Everything staff or the CLI do, and the Lamplight IDs saved mid-delivery, stay on `db` (FULL).
  const { db, groupDb } = store
  const flushSoon = () => { store.flush().catch(() => { /* the request path reports a failing disk */ }) }
  // Per destination, in due order, from the index submissions_sendable (migrations.ts): each part
  // reads only as many rows as it needs, however long the queue (one query over several destinations
  // would sort them all). `n` destinations → one statement, kept.
  const perDestination = (n: number, part: string, outer: string) => {
    const parts = Array.from({ length: n }, () => `SELECT * FROM (${part})`).join(' UNION ALL ')
    return outer.replace('$PARTS', parts)
  }
  const SENDABLE = `${PENDING} AND held_reason IS NULL AND next_attempt_at IS NOT NULL AND destination = ?`
  const claimStmts = new Map<number, Statement>()
  const claimStmt = (n: number) => {
    let stmt = claimStmts.get(n)
    if (!stmt) {
      stmt = groupDb.prepare(perDestination(n,
        `SELECT id, next_attempt_at FROM submissions WHERE ${SENDABLE} AND next_attempt_at <= @now
          AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at, id LIMIT @limit`,
        `UPDATE submissions SET lease_until = @until WHERE id IN (
          SELECT id FROM ($PARTS) ORDER BY next_attempt_at, id LIMIT @limit) RETURNING *`))
      claimStmts.set(n, stmt)
    }
    return stmt
  }
  const nextDueStmts = new Map<number, Statement>()
  const nextDueStmt = (n: number) => {
    let stmt = nextDueStmts.get(n)
    if (!stmt) {
      stmt = db.prepare(perDestination(n,
        `SELECT next_attempt_at FROM submissions WHERE ${SENDABLE} AND lease_until IS NULL ORDER BY next_attempt_at LIMIT 1`,
        'SELECT min(next_attempt_at) AS due FROM ($PARTS)'))
      nextDueStmts.set(n, stmt)
    }
    return stmt
  }
  const insertAttempt = groupDb.prepare('INSERT INTO delivery_attempts (submission_id, started_at, finished_at, outcome, detail) VALUES (?, ?, ?, ?, ?)')

  const delivered = groupDb.prepare(`UPDATE submissions SET delivered_at = @now, attempts = attempts + 1, lease_until = NULL,
    next_attempt_at = NULL, last_error = NULL, held_reason = NULL, crm_ids = @ids, crm_response = @raw WHERE id = @id`)
  const partly = groupDb.prepare(`UPDATE submissions SET partly_delivered_at = @now, attempts = attempts + 1, lease_until = NULL,
    next_attempt_at = NULL, last_error = @reason, crm_ids = @ids, crm_response = @raw WHERE id = @id`)
  const retry = groupDb.prepare(`UPDATE submissions SET attempts = attempts + 1, lease_until = NULL, last_error = @reason,
    next_attempt_at = CASE WHEN attempts + 1 >= @max THEN NULL ELSE @retryAt END,
    failed_at = CASE WHEN attempts + 1 >= @max THEN @now ELSE NULL END WHERE id = @id`)
  const held = groupDb.prepare(`UPDATE submissions SET held_reason = @reason, last_error = @reason, lease_until = NULL,
    next_attempt_at = NULL WHERE id = @id`)
  const rejected = groupDb.prepare(`UPDATE submissions SET attempts = attempts + 1, failed_at = @now, lease_until = NULL,
    next_attempt_at = NULL, last_error = @reason WHERE id = @id`)

  const saveProgressStmt = db.prepare("UPDATE submissions SET progress = json_set(coalesce(progress, '{}'), '$.' || ?, ?) WHERE id = ?")
  const progressStmt = db.prepare('SELECT progress FROM submissions WHERE id = ?')
  const holdStmt = groupDb.prepare(`UPDATE submissions SET held_reason = ?, next_attempt_at = NULL WHERE ${PENDING} AND held_reason IS NULL AND destination = ?`)

  // The CRM's answer may repeat the referral back (Charitylog's success body is undocumented), so it is
  // personal data: sealed like the payload, and deleted with it.
  const sealRaw = (row: SubmissionRow, raw: string | undefined) => raw === undefined ? null : store.sealer.seal(raw.slice(0, 2000), row.reference)

  return {
    claimDue (now, leaseMs, limit, destinations) {
      if (destinations.length === 0 || limit <= 0) return []
      return claimStmt(destinations.length).all(...destinations, { now, until: now + leaseMs, limit }) as SubmissionRow[]
    },
    payloadOf (row) {
      // Only the payload: the staff copy of the answers is not needed to send, so it is not decrypted.
      return row.payload === null ? undefined : JSON.parse(store.sealer.open(row.payload, row.reference)) as CrmPayload
    },
    record (row, outcome, startedAt, now, retryAt, maxAttempts) {
      groupDb.transaction(() => {
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
      flushSoon()
    },
    saveProgress (id, key, value) {
      saveProgressStmt.run(key, value, id)
    },
    progressOf (id) {
      const row = progressStmt.get(id) as { progress: string | null } | undefined
      return row?.progress ? JSON.parse(row.progress) as Record<string, string | number> : {}
    },
    holdDestination (destination, reason) {
      const changes = holdStmt.run(reason, destination).changes
      if (changes > 0) flushSoon()
      return changes
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
    releaseAllLeases () {
      return db.prepare('UPDATE submissions SET lease_until = NULL WHERE lease_until IS NOT NULL').run().changes
    },
    attempts (id) {
      return db.prepare('SELECT * FROM delivery_attempts WHERE submission_id = ? ORDER BY id').all(id) as AttemptRow[]
    },
    nextDueAt (destinations) {
      if (destinations.length === 0) return undefined
      const row = nextDueStmt(destinations.length).get(...destinations) as { due: number | null }
      return row.due ?? undefined
    },
  }
}
