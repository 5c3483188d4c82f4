/**
 * The outbox in PostgreSQL: the OutboxStore contract. Claims take rows with FOR UPDATE SKIP LOCKED, so
 * several servers claiming at once each get different rows; a lease that expires is claimed again.
 * Which rows each statement may touch comes from the table of states (src/outbox/delivery-state.ts).
 */
import { afterHolding, afterOutcome } from '../../alerts/incidents.js'
import type { CrmPayload } from '../../crm/types.js'
import { ACTIONS, stateInSql } from '../../outbox/delivery-state.js'
import type { Sealer } from '../../security/encryption.js'
import type { AttemptRecord, ClaimedSubmission, OutboxStore, SubmissionRecord } from '../types.js'
import { addAlert, lockHealth, setHealth } from './alerts.js'
import type { PostgresConnections } from './connection.js'
import { RECORD_COLUMNS } from './submissions.js'

const WAITING = stateInSql(['waiting'])
const PURGEABLE = 'coalesce(delivered_at, handled_at) < $1 AND purged_at IS NULL'

export function createPostgresOutbox (c: PostgresConnections, sealer: Sealer): OutboxStore {
  const run = async (sql: string, args: unknown[]) => (await c.pool.query(sql, args)).rowCount ?? 0
  const sealRaw = (reference: string, raw: string | undefined) => (raw === undefined ? null : sealer.seal(raw.slice(0, 2000), reference))
  return {
    async claimDue (now, leaseMs, limit, destinations) {
      if (destinations.length === 0 || limit <= 0) return []
      const { rows } = await c.pool.query<SubmissionRecord & { payload: Buffer | null }>(`UPDATE submissions SET lease_until = $2 WHERE id IN (
          SELECT id FROM submissions WHERE ${WAITING} AND next_attempt_at IS NOT NULL AND destination = ANY($4)
            AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING ${RECORD_COLUMNS}, payload`, [now, now + leaseMs, limit, [...destinations]])
      const claimed: ClaimedSubmission[] = []
      for (const { payload, ...facts } of rows) {
        if (payload === null) continue
        claimed.push({ ...facts, payload: JSON.parse(sealer.open(payload, facts.reference)) as CrmPayload })
      }
      return claimed.sort((a, b) => a.next_attempt_at! - b.next_attempt_at! || a.id - b.id)
    },
    async record ({ id, reference, form_id: formId, destination }, outcome, startedAt, now, retryAt, maxAttempts) {
      const attemptArgs = (n: number) => [`$${n + 1}::bigint, $${n + 2}::bigint, $${n + 3}::text, $${n + 4}::text`, [startedAt, now, outcome.kind, 'reason' in outcome ? outcome.reason : null]] as const
      if (outcome.kind === 'delivered') {
        // The hot path, in one statement (one round trip, its own transaction): the change of state, its
        // attempt, and, only if the CRM was known to be failing, its health made good and the "working
        // again" alert (the health row is neither read for update nor written while the CRM is healthy).
        const args = [id, now, JSON.stringify(outcome.crmIds), sealRaw(reference, outcome.raw), destination]
        const [params, values] = attemptArgs(args.length)
        await c.pool.query(`WITH changed AS (
            UPDATE submissions SET delivered_at = $2, attempts = attempts + 1, lease_until = NULL, next_attempt_at = NULL,
              last_error = NULL, held_reason = NULL, crm_ids = $3, crm_response = $4 WHERE id = $1 RETURNING id
          ), attempt AS (
            INSERT INTO delivery_attempts (submission_id, started_at, finished_at, outcome, detail) SELECT id, ${params} FROM changed
          ), failing AS (
            SELECT destination, incident_kind, incident_at FROM crm_health
            WHERE destination = $5 AND (failures > 0 OR incident_kind IS NOT NULL) AND EXISTS (SELECT 1 FROM changed) FOR UPDATE
          ), healed AS (
            UPDATE crm_health h SET failures = 0, incident_kind = NULL, incident_at = NULL, healed_at = $2 FROM failing
            WHERE h.destination = failing.destination RETURNING failing.incident_kind, failing.incident_at
          ) INSERT INTO alerts (key, kind, destination, detail, created_at, due_at)
          SELECT 'recovered:' || $5 || ':' || incident_at, 'recovered', $5, incident_kind, $2, $2 FROM healed WHERE incident_kind IS NOT NULL
          ON CONFLICT (key) DO NOTHING`, [...args, ...values])
        return
      }
      // The rarer outcomes: the change of state and its attempt, then the CRM's health and the alerts it calls for, in one transaction.
      const withAttempt = (update: string, args: unknown[]) => c.transaction(async (client) => {
        const [params, values] = attemptArgs(args.length)
        const { rows } = await client.query<{ failed_at: number | null }>(`WITH changed AS (${update} RETURNING id, failed_at), attempt AS (
            INSERT INTO delivery_attempts (submission_id, started_at, finished_at, outcome, detail) SELECT id, ${params} FROM changed
          ) SELECT failed_at FROM changed`, [...args, ...values])
        if (rows.length === 0) return
        const before = await lockHealth(client, destination)
        const next = afterOutcome(before, { reference, formId, destination, outcome: outcome.kind, becameFailed: rows[0]!.failed_at !== null, startedAt, at: now })
        await setHealth(client, destination, before, next.health)
        for (const a of next.alerts) await addAlert(client, a)
      })
      switch (outcome.kind) {
        case 'partly_delivered':
          return withAttempt(`UPDATE submissions SET partly_delivered_at = $2, attempts = attempts + 1, lease_until = NULL, next_attempt_at = NULL,
            last_error = $3, crm_ids = $4, crm_response = $5 WHERE id = $1`, [id, now, outcome.reason, JSON.stringify(outcome.crmIds), sealRaw(reference, outcome.raw)])
        case 'retry':
          return withAttempt(`UPDATE submissions SET attempts = attempts + 1, lease_until = NULL, last_error = $3,
            next_attempt_at = CASE WHEN attempts + 1 >= $4 THEN NULL ELSE $5::bigint END,
            failed_at = CASE WHEN attempts + 1 >= $4 THEN $2::bigint ELSE NULL END WHERE id = $1`, [id, now, outcome.reason, maxAttempts, retryAt])
        case 'held':
          return withAttempt('UPDATE submissions SET held_reason = $2, last_error = $2, lease_until = NULL, next_attempt_at = NULL WHERE id = $1', [id, outcome.reason])
        case 'rejected':
          return withAttempt(`UPDATE submissions SET attempts = attempts + 1, failed_at = $2, lease_until = NULL, next_attempt_at = NULL,
            last_error = $3 WHERE id = $1`, [id, now, outcome.reason])
        default: {
          const unexpected: never = outcome
          throw new Error(`Unexpected outcome: ${JSON.stringify(unexpected)}`)
        }
      }
    },
    async saveProgress (id, key, value) {
      await c.pool.query("UPDATE submissions SET progress = coalesce(progress, '{}'::jsonb) || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1",
        [id, key, JSON.stringify(value)])
    },
    async progressOf (id) {
      const { rows } = await c.pool.query<{ progress: Record<string, string | number> | null }>('SELECT progress FROM submissions WHERE id = $1', [id])
      return rows[0]?.progress ?? {}
    },
    async holdDestination (destination, reason, now) {
      // Most looks hold nothing: only then is it worth a transaction with the health and the incident's alert.
      const waiting = await c.pool.query(`SELECT 1 FROM submissions WHERE ${WAITING} AND destination = $1 LIMIT 1`, [destination])
      if (waiting.rowCount === 0) return 0
      return c.transaction(async (client) => {
        const held = (await client.query(`UPDATE submissions SET held_reason = $1, next_attempt_at = NULL WHERE ${WAITING} AND destination = $2`, [reason, destination])).rowCount ?? 0
        if (held > 0) {
          const before = await lockHealth(client, destination)
          const next = afterHolding(before, destination, now)
          await setHealth(client, destination, before, next.health)
          for (const a of next.alerts) await addAlert(client, a)
        }
        return held
      })
    },
    releaseHeld: (destination, now) => run(`UPDATE submissions SET held_reason = NULL, next_attempt_at = $1 WHERE ${stateInSql(['held'])} AND destination = $2`, [now, destination]),
    async retryNow (reference, now) {
      return await run(`UPDATE submissions SET held_reason = NULL, failed_at = NULL, lease_until = NULL, next_attempt_at = $1,
          attempts = CASE WHEN failed_at IS NOT NULL THEN 0 ELSE attempts END
        WHERE reference = $2 AND ${stateInSql(ACTIONS.retry)} AND payload IS NOT NULL`, [now, reference]) === 1
    },
    async markHandled (reference, now) {
      return await run(`UPDATE submissions SET handled_at = $1, next_attempt_at = NULL, lease_until = NULL WHERE reference = $2 AND ${stateInSql(ACTIONS.handle)}`, [now, reference]) === 1
    },
    async releaseQuarantined (reference, now) {
      return await run(`UPDATE submissions SET quarantined_at = NULL, next_attempt_at = $1, lease_until = NULL
        WHERE reference = $2 AND ${stateInSql(ACTIONS.release)} AND payload IS NOT NULL`, [now, reference]) === 1
    },
    async deleteQuarantined (reference) {
      return await run(`DELETE FROM submissions WHERE reference = $1 AND ${stateInSql(ACTIONS.delete)}`, [reference]) === 1
    },
    async purgeDelivered (before, now) {
      return c.transaction(async (client) => {
        await client.query(`UPDATE delivery_attempts SET detail = NULL WHERE detail IS NOT NULL AND submission_id IN (SELECT id FROM submissions WHERE ${PURGEABLE})`, [before])
        const res = await client.query(`UPDATE submissions SET payload = NULL, answers = NULL, progress = NULL, crm_response = NULL, confirm_to = NULL, last_error = NULL,
          held_reason = NULL, purged_at = $2 WHERE ${PURGEABLE}`, [before, now])
        return res.rowCount ?? 0
      })
    },
    releaseAllLeases: () => run('UPDATE submissions SET lease_until = NULL WHERE lease_until IS NOT NULL', []),
    async attempts (id) {
      return (await c.pool.query<AttemptRecord>('SELECT submission_id, started_at, finished_at, outcome, detail FROM delivery_attempts WHERE submission_id = $1 ORDER BY id', [id])).rows
    },
    async nextDueAt (destinations) {
      if (destinations.length === 0) return undefined
      const { rows } = await c.pool.query<{ due: number | null }>(`SELECT min(next_attempt_at) AS due FROM submissions
        WHERE ${WAITING} AND next_attempt_at IS NOT NULL AND destination = ANY($1) AND lease_until IS NULL`, [[...destinations]])
      return rows[0]?.due ?? undefined
    },
    // Every commit is durable when it returns (synchronous_commit).
    flush: async () => {},
  }
}
