/**
 * The outbox in PostgreSQL: the OutboxStore contract. Claims take rows with FOR UPDATE SKIP LOCKED, so
 * several servers claiming at once each get different rows; a lease that expires is claimed again.
 * Which rows each statement may touch comes from the table of states (src/outbox/delivery-state.ts).
 */
import type { CrmPayload } from '../../crm/types.js'
import { ACTIONS, stateInSql } from '../../outbox/delivery-state.js'
import type { Sealer } from '../../security/encryption.js'
import type { AttemptRecord, ClaimedSubmission, OutboxStore, SubmissionRecord } from '../types.js'
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
    async record ({ id, reference }, outcome, startedAt, now, retryAt, maxAttempts) {
      // The change of state and its attempt in one statement (one round trip, its own transaction).
      const withAttempt = async (update: string, args: unknown[]) => {
        const n = args.length
        await c.pool.query(`WITH changed AS (${update} RETURNING id)
          INSERT INTO delivery_attempts (submission_id, started_at, finished_at, outcome, detail)
          SELECT id, $${n + 1}::bigint, $${n + 2}::bigint, $${n + 3}::text, $${n + 4}::text FROM changed`,
        [...args, startedAt, now, outcome.kind, 'reason' in outcome ? outcome.reason : null])
      }
      switch (outcome.kind) {
        case 'delivered':
          return withAttempt(`UPDATE submissions SET delivered_at = $2, attempts = attempts + 1, lease_until = NULL, next_attempt_at = NULL,
            last_error = NULL, held_reason = NULL, crm_ids = $3, crm_response = $4 WHERE id = $1`, [id, now, JSON.stringify(outcome.crmIds), sealRaw(reference, outcome.raw)])
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
    holdDestination: (destination, reason) => run(`UPDATE submissions SET held_reason = $1, next_attempt_at = NULL WHERE ${WAITING} AND destination = $2`, [reason, destination]),
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
        const res = await client.query(`UPDATE submissions SET payload = NULL, answers = NULL, progress = NULL, crm_response = NULL, last_error = NULL,
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
