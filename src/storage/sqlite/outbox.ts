/**
 * The outbox in SQLite: the submissions table seen as a queue (the OutboxStore contract). Every change
 * of delivery state is one statement (or one transaction) on facts; which rows a statement may touch
 * comes from the table of states (src/outbox/delivery-state.ts).
 *
 * The worker's busy writes (claims, outcomes, holding) go through the group-commit connection: no
 * fsync blocks the event loop per statement. An outcome is flushed right after (not awaited: until
 * then a power cut can only undo it, and the lease makes the row be sent again, at least once).
 * Everything staff or the CLI do, and the Lamplight IDs saved mid-delivery, use `db` (FULL).
 */
import type { Statement } from 'better-sqlite3'
import { afterHolding, afterOutcome } from '../../alerts/incidents.js'
import type { CrmPayload, DestinationType } from '../../crm/types.js'
import { ACTIONS, stateInSql } from '../../outbox/delivery-state.js'
import type { Sealer } from '../../security/encryption.js'
import type { AttemptRecord, ClaimedSubmission, OutboxStore } from '../types.js'
import { alertWriter } from './alerts.js'
import type { SqliteConnections } from './connection.js'
import { RECORD_COLUMNS, toRecord, type SubmissionRow } from './submissions.js'

/** Waiting: what the worker may send (the partial index submissions_sendable covers exactly these). */
const WAITING = stateInSql(['waiting'])

export function createSqliteOutbox (c: SqliteConnections, sealer: Sealer): OutboxStore {
  const { db, groupDb } = c
  const flushSoon = () => { c.flush().catch(() => { /* the request path reports a failing disk */ }) }
  // Per destination, in due order, from the index submissions_sendable (migrations.ts): each part
  // reads only as many rows as it needs, however long the queue (one query over several destinations
  // would sort them all). `n` destinations → one statement, kept.
  const perDestination = (n: number, part: string, outer: string) => {
    const parts = Array.from({ length: n }, () => `SELECT * FROM (${part})`).join(' UNION ALL ')
    return outer.replace('$PARTS', parts)
  }
  const SENDABLE = `${WAITING} AND next_attempt_at IS NOT NULL AND destination = ?`
  const claimStmts = new Map<number, Statement>()
  const claimStmt = (n: number) => {
    let stmt = claimStmts.get(n)
    if (!stmt) {
      stmt = groupDb.prepare(perDestination(n,
        `SELECT id, next_attempt_at FROM submissions WHERE ${SENDABLE} AND next_attempt_at <= @now
          AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at, id LIMIT @limit`,
        `UPDATE submissions SET lease_until = @until WHERE id IN (
          SELECT id FROM ($PARTS) ORDER BY next_attempt_at, id LIMIT @limit) RETURNING ${RECORD_COLUMNS}, payload`))
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
    failed_at = CASE WHEN attempts + 1 >= @max THEN @now ELSE NULL END WHERE id = @id RETURNING failed_at`)
  const alerts = alertWriter(groupDb)
  const held = groupDb.prepare(`UPDATE submissions SET held_reason = @reason, last_error = @reason, lease_until = NULL,
    next_attempt_at = NULL WHERE id = @id`)
  const rejected = groupDb.prepare(`UPDATE submissions SET attempts = attempts + 1, failed_at = @now, lease_until = NULL,
    next_attempt_at = NULL, last_error = @reason WHERE id = @id`)

  const saveProgressStmt = db.prepare("UPDATE submissions SET progress = json_set(coalesce(progress, '{}'), '$.' || ?, ?) WHERE id = ?")
  const progressStmt = db.prepare('SELECT progress FROM submissions WHERE id = ?')
  const holdStmt = groupDb.prepare(`UPDATE submissions SET held_reason = ?, next_attempt_at = NULL WHERE ${WAITING} AND destination = ?`)
  const hold = groupDb.transaction((destination: DestinationType, reason: string, now: number) => {
    const changes = holdStmt.run(reason, destination).changes
    if (changes > 0) {
      const before = alerts.health(destination)
      const next = afterHolding(before, destination, now)
      alerts.setHealth(destination, before, next.health)
      for (const a of next.alerts) alerts.add(a)
    }
    return changes
  })
  const releaseHeldStmt = db.prepare(`UPDATE submissions SET held_reason = NULL, next_attempt_at = ?
    WHERE ${stateInSql(['held'])} AND destination = ?`)
  const retryStmt = db.prepare(`UPDATE submissions SET held_reason = NULL, failed_at = NULL, lease_until = NULL, next_attempt_at = ?,
      attempts = CASE WHEN failed_at IS NOT NULL THEN 0 ELSE attempts END
    WHERE reference = ? AND ${stateInSql(ACTIONS.retry)} AND payload IS NOT NULL`)
  const handleStmt = db.prepare(`UPDATE submissions SET handled_at = ?, next_attempt_at = NULL, lease_until = NULL
    WHERE reference = ? AND ${stateInSql(ACTIONS.handle)}`)
  const releaseStmt = db.prepare(`UPDATE submissions SET quarantined_at = NULL, next_attempt_at = ?, lease_until = NULL
    WHERE reference = ? AND ${stateInSql(ACTIONS.release)} AND payload IS NOT NULL`)
  const deleteStmt = db.prepare(`DELETE FROM submissions WHERE reference = ? AND ${stateInSql(ACTIONS.delete)}`)
  // Everything that came from the visitor's answers or from the CRM's answers about them goes: the
  // sealed columns, the saved IDs, and the reasons (a CRM may have echoed an answer in a way the
  // redactor did not recognise). The facts of the delivery stay.
  const PURGEABLE = 'coalesce(delivered_at, handled_at) < @before AND purged_at IS NULL'
  const purgeAttemptsStmt = db.prepare(`UPDATE delivery_attempts SET detail = NULL
    WHERE detail IS NOT NULL AND submission_id IN (SELECT id FROM submissions WHERE ${PURGEABLE})`)
  const purgeStmt = db.prepare(`UPDATE submissions SET payload = NULL, answers = NULL, progress = NULL, crm_response = NULL, confirm_to = NULL,
    last_error = NULL, held_reason = NULL, purged_at = @now WHERE ${PURGEABLE}`)
  const purge = db.transaction((before: number, now: number) => {
    purgeAttemptsStmt.run({ before })
    return purgeStmt.run({ before, now }).changes
  })
  const releaseLeasesStmt = db.prepare('UPDATE submissions SET lease_until = NULL WHERE lease_until IS NOT NULL')
  const attemptsStmt = db.prepare('SELECT submission_id, started_at, finished_at, outcome, detail FROM delivery_attempts WHERE submission_id = ? ORDER BY id')

  // The CRM's answer may repeat the referral back (Charitylog's success body is undocumented), so it is
  // personal data: sealed like the payload, and deleted with it.
  const sealRaw = (reference: string, raw: string | undefined) => raw === undefined ? null : sealer.seal(raw.slice(0, 2000), reference)

  return {
    async claimDue (now, leaseMs, limit, destinations) {
      if (destinations.length === 0 || limit <= 0) return []
      const rows = claimStmt(destinations.length).all(...destinations, { now, until: now + leaseMs, limit }) as Array<Omit<SubmissionRow, 'answers' | 'crm_response'> & { has_personal_data: unknown }>
      const claimed: ClaimedSubmission[] = []
      for (const row of rows) {
        const { payload, ...facts } = row
        // Only the payload: the staff copy of the answers is not needed to send, so it is not opened.
        if (payload === null) continue // purged: nothing left to send (the lease expires unused)
        claimed.push({ ...toRecord(facts), payload: JSON.parse(sealer.open(payload, row.reference)) as CrmPayload })
      }
      // RETURNING gives rows in the table's order, not the claim's.
      return claimed.sort((a, b) => a.next_attempt_at! - b.next_attempt_at! || a.id - b.id)
    },
    async record ({ id, reference, form_id: formId, destination }, outcome, startedAt, now, retryAt, maxAttempts) {
      groupDb.transaction(() => {
        let becameFailed = outcome.kind === 'rejected'
        switch (outcome.kind) {
          case 'delivered':
            delivered.run({ id, now, ids: JSON.stringify(outcome.crmIds), raw: sealRaw(reference, outcome.raw) })
            break
          case 'partly_delivered':
            partly.run({ id, now, reason: outcome.reason, ids: JSON.stringify(outcome.crmIds), raw: sealRaw(reference, outcome.raw) })
            break
          case 'retry':
            becameFailed = (retry.get({ id, now, reason: outcome.reason, retryAt, max: maxAttempts }) as { failed_at: number | null } | undefined)?.failed_at != null
            break
          case 'held':
            held.run({ id, reason: outcome.reason })
            break
          case 'rejected':
            rejected.run({ id, now, reason: outcome.reason })
            break
          default: {
            const unexpected: never = outcome
            throw new Error(`Unexpected outcome: ${JSON.stringify(unexpected)}`)
          }
        }
        insertAttempt.run(id, startedAt, now, outcome.kind, 'reason' in outcome ? outcome.reason : null)
        const before = alerts.health(destination)
        const next = afterOutcome(before, { reference, formId, destination, outcome: outcome.kind, becameFailed, startedAt, at: now })
        alerts.setHealth(destination, before, next.health)
        for (const a of next.alerts) alerts.add(a)
      })()
      flushSoon()
    },
    async saveProgress (id, key, value) {
      saveProgressStmt.run(key, value, id)
    },
    async progressOf (id) {
      const row = progressStmt.get(id) as { progress: string | null } | undefined
      return row?.progress ? JSON.parse(row.progress) as Record<string, string | number> : {}
    },
    async holdDestination (destination, reason, now) {
      const changes = hold(destination, reason, now)
      if (changes > 0) flushSoon()
      return changes
    },
    async releaseHeld (destination, now) {
      return releaseHeldStmt.run(now, destination).changes
    },
    async retryNow (reference, now) {
      return retryStmt.run(now, reference).changes === 1
    },
    async markHandled (reference, now) {
      return handleStmt.run(now, reference).changes === 1
    },
    async releaseQuarantined (reference, now) {
      return releaseStmt.run(now, reference).changes === 1
    },
    async deleteQuarantined (reference) {
      return deleteStmt.run(reference).changes === 1
    },
    async purgeDelivered (before, now) {
      const n = purge(before, now)
      // The old page images stay in the WAL until it is checkpointed and reset: do it now, so the
      // deleted data leaves the files too (the pages themselves are zeroed: secure_delete, connection.ts).
      if (n > 0) await c.scrubWal()
      return n
    },
    async releaseAllLeases () {
      return releaseLeasesStmt.run().changes
    },
    async attempts (id) {
      return attemptsStmt.all(id) as AttemptRecord[]
    },
    async nextDueAt (destinations) {
      if (destinations.length === 0) return undefined
      const row = nextDueStmt(destinations.length).get(...destinations) as { due: number | null }
      return row.due ?? undefined
    },
    flush: () => c.flush(),
  }
}
