/**
 * Alerts and each CRM's health in PostgreSQL: the AlertStore contract, and the statements the outbox
 * and the submissions run in their own transactions (see the SQLite one). Claims use FOR UPDATE SKIP
 * LOCKED, so servers sharing the database each send different alerts, and each alert once.
 */
import type pg from 'pg'
import { HEALTHY, healthOf, sameHealth, type CrmHealth, type HealthRow } from '../../alerts/incidents.js'
import { PENDING_SUFFIX, SPAM_ALERT_EVERY_MS, SPAM_PENDING_KEY } from '../../alerts/kinds.js'
import type { DestinationType } from '../../crm/types.js'
import type { Alert, AlertStore, CrmIncident, NewAlert } from '../types.js'
import type { PostgresConnections, Queryable } from './connection.js'

const INSERT = `INSERT INTO alerts (key, kind, reference, form_id, destination, detail, created_at, due_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING`
const alertValues = (a: NewAlert) => [a.key, a.kind, a.reference ?? null, a.formId ?? null, a.destination ?? null, a.detail ?? null, a.at, a.dueAt ?? a.at]

/**
 * The alert a new submission calls for, as the last part of the statement that stores it (a CTE named
 * `stored` returning `reference`): probable spam adds to the pending spam alert; a form that asks for it
 * gets a "new referral" alert. `$2` is the form id, `$4` the destination, `$7` the time.
 */
export function submissionAlertSql (kind: 'spam' | 'new' | 'confirmation'): string {
  if (kind === 'spam') {
    return `INSERT INTO alerts (key, kind, created_at, due_at)
      SELECT '${SPAM_PENDING_KEY}', 'quarantined', $7::bigint,
        GREATEST($7::bigint, coalesce((SELECT max(sent_at) FROM alerts WHERE kind = 'quarantined'), 0) + ${SPAM_ALERT_EVERY_MS})
      FROM stored ON CONFLICT (key) DO NOTHING`
  }
  const k = kind === 'new' ? 'new_referral' : 'confirmation'
  return `INSERT INTO alerts (key, kind, reference, form_id, destination, created_at, due_at)
    SELECT '${k}:' || reference, '${k}', reference, $2::text, $4::text, $7::bigint, $7::bigint FROM stored ON CONFLICT (key) DO NOTHING`
}

export async function addAlert (q: Queryable, a: NewAlert): Promise<boolean> {
  return ((await q.query(INSERT, alertValues(a))).rowCount ?? 0) === 1
}

/** The health of a destination, its row locked until the transaction ends (made healthy first if missing). */
export async function lockHealth (client: pg.PoolClient, destination: DestinationType): Promise<CrmHealth> {
  await client.query('INSERT INTO crm_health (destination) VALUES ($1) ON CONFLICT (destination) DO NOTHING', [destination])
  const { rows } = await client.query<HealthRow>('SELECT failures, incident_kind, incident_at, healed_at FROM crm_health WHERE destination = $1 FOR UPDATE', [destination])
  return rows[0] ? healthOf(rows[0]) : HEALTHY
}

export async function setHealth (client: pg.PoolClient, destination: DestinationType, before: CrmHealth, next: CrmHealth): Promise<void> {
  if (sameHealth(before, next)) return
  await client.query('UPDATE crm_health SET failures = $2, incident_kind = $3, incident_at = $4, healed_at = $5 WHERE destination = $1',
    [destination, next.failures, next.incident?.kind ?? null, next.incident?.opened_at ?? null, next.healedAt])
}

const COLUMNS = 'id, key, kind, reference, form_id, destination, detail, created_at, due_at, sent_at, attempts, last_error, dropped_at'
const UNSENT = 'sent_at IS NULL AND dropped_at IS NULL'
const CLOSE_KEY = `key = CASE WHEN key LIKE '%${PENDING_SUFFIX}' THEN kind || ':' || id ELSE key END`

export function createPostgresAlerts ({ pool }: PostgresConnections): AlertStore {
  return {
    add: (a) => addAlert(pool, a),
    async claimDue (now, leaseMs, limit) {
      const { rows } = await pool.query<Alert>(`UPDATE alerts SET lease_until = $2 WHERE id IN (
          SELECT id FROM alerts WHERE ${UNSENT} AND due_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
          ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}`, [now, now + leaseMs, limit])
      return rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id)
    },
    async markSent (id, now) {
      await pool.query(`UPDATE alerts SET sent_at = $2, attempts = attempts + 1, lease_until = NULL, last_error = NULL, ${CLOSE_KEY} WHERE id = $1 AND ${UNSENT}`, [id, now])
    },
    async markFailed (id, now, error, retryAt) {
      if (retryAt === undefined) {
        await pool.query(`UPDATE alerts SET attempts = attempts + 1, lease_until = NULL, last_error = $2, dropped_at = $3, ${CLOSE_KEY} WHERE id = $1`, [id, error, now])
      } else {
        await pool.query('UPDATE alerts SET attempts = attempts + 1, lease_until = NULL, last_error = $2, due_at = $3 WHERE id = $1', [id, error, retryAt])
      }
    },
    async dropBefore (before, now, reason) {
      return (await pool.query(`UPDATE alerts SET last_error = $1, dropped_at = $2, lease_until = NULL, ${CLOSE_KEY} WHERE ${UNSENT} AND created_at < $3`, [reason, now, before])).rowCount ?? 0
    },
    async retryNow (now) {
      return (await pool.query(`UPDATE alerts SET due_at = $1, lease_until = NULL WHERE ${UNSENT} AND attempts > 0 AND due_at > $1`, [now])).rowCount ?? 0
    },
    async list (offset, limit) {
      return (await pool.query<Alert>(`SELECT ${COLUMNS} FROM alerts ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, [limit, offset])).rows
    },
    async count () {
      return (await pool.query<{ n: number }>('SELECT count(*) AS n FROM alerts')).rows[0]!.n
    },
    async lastSent (kind) {
      return (await pool.query<Alert>(`SELECT ${COLUMNS} FROM alerts WHERE kind = $1 AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`, [kind])).rows[0]
    },
    async incidents () {
      return (await pool.query<CrmIncident>('SELECT destination, incident_kind AS kind, incident_at AS opened_at FROM crm_health WHERE incident_kind IS NOT NULL ORDER BY destination')).rows
    },
    async nextDueAt () {
      return (await pool.query<{ t: number | null }>(`SELECT min(due_at) AS t FROM alerts WHERE ${UNSENT} AND lease_until IS NULL`)).rows[0]!.t ?? undefined
    },
    async purge (before) {
      return (await pool.query('DELETE FROM alerts WHERE coalesce(sent_at, dropped_at) < $1', [before])).rowCount ?? 0
    },
  }
}
