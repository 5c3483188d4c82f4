/** What the staff pages keep, in PostgreSQL: deliveries lists, sessions, the audit log, form history, settings. */
import { DELIVERY_STATE_SQL, DELIVERY_STATES, stateInSql, type DeliveryState } from '../../outbox/delivery-state.js'
import { hashSessionId } from '../session-id.js'
import type { AuditEntry, AuditStore, DeliveryListRow, DeliveryQueries, FormHistoryStore, FormVersion, SessionStore, SettingsStore } from '../types.js'
import type { PostgresConnections } from './connection.js'

export function createPostgresDeliveries ({ pool }: PostgresConnections): DeliveryQueries {
  return {
    async counts () {
      const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>
      const { rows } = await pool.query<{ state: DeliveryState, n: number }>(`SELECT ${DELIVERY_STATE_SQL} AS state, count(*) AS n FROM submissions GROUP BY 1`)
      for (const r of rows) counts[r.state] = r.n
      return counts
    },
    async list (filter, offset, limit) {
      const where: string[] = []
      const args: unknown[] = []
      if (filter.state) where.push(`(${DELIVERY_STATE_SQL}) = $${args.push(filter.state)}`)
      if (filter.form) where.push(`form_id = $${args.push(filter.form)}`)
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
      const total = (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM submissions ${clause}`, args)).rows[0]!.n
      const { rows } = await pool.query<DeliveryListRow>(`SELECT reference, form_id, destination, created_at, attempts, next_attempt_at, held_reason,
          last_error, quarantine_reason, ${DELIVERY_STATE_SQL} AS state
        FROM submissions ${clause} ORDER BY created_at DESC, id DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`, [...args, limit, offset])
      return { rows, total }
    },
    async formIds () {
      return (await pool.query<{ form_id: string }>('SELECT DISTINCT form_id FROM submissions ORDER BY form_id')).rows.map((r) => r.form_id)
    },
    async waitingFor (destination) {
      return (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM submissions WHERE ${stateInSql(['waiting', 'held'])} AND destination = $1`, [destination])).rows[0]!.n
    },
    async oldestWaiting () {
      return (await pool.query<{ t: number | null }>(`SELECT min(created_at) AS t FROM submissions WHERE ${stateInSql(['waiting', 'held'])}`)).rows[0]!.t ?? undefined
    },
    async quarantinedSince (since) {
      return (await pool.query<{ n: number }>('SELECT count(*) AS n FROM submissions WHERE quarantined_at >= $1', [since])).rows[0]!.n
    },
  }
}

export function createPostgresSessions ({ pool }: PostgresConnections): SessionStore {
  return {
    async get (id, now) {
      return (await pool.query<{ data: string }>('SELECT data FROM admin_sessions WHERE id_hash = $1 AND expires_at > $2', [hashSessionId(id), now])).rows[0]?.data
    },
    async set (id, data, expiresAt) {
      await pool.query(`INSERT INTO admin_sessions (id_hash, data, expires_at) VALUES ($1, $2, $3)
        ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`, [hashSessionId(id), data, expiresAt])
    },
    async destroy (id) {
      await pool.query('DELETE FROM admin_sessions WHERE id_hash = $1', [hashSessionId(id)])
    },
    async purgeExpired (now) {
      return (await pool.query('DELETE FROM admin_sessions WHERE expires_at <= $1', [now])).rowCount ?? 0
    },
  }
}

export function createPostgresAudit ({ pool }: PostgresConnections): AuditStore {
  return {
    async record (e) {
      await pool.query('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [e.at, e.actor, e.action, e.subject ?? null, e.detail ?? null])
    },
    async list (offset, limit, actor) {
      const sql = `SELECT id, at, actor, action, subject, detail FROM audit_log ${actor === undefined ? '' : 'WHERE actor = $3'} ORDER BY id DESC LIMIT $1 OFFSET $2`
      return (await pool.query<AuditEntry>(sql, actor === undefined ? [limit, offset] : [limit, offset, actor])).rows
    },
    async count (actor) {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM audit_log ${actor === undefined ? '' : 'WHERE actor = $1'}`, actor === undefined ? [] : [actor])
      return rows[0]!.n
    },
    async actors () {
      return (await pool.query<{ actor: string }>('SELECT actor FROM audit_log GROUP BY actor ORDER BY actor COLLATE "C"')).rows.map((r) => r.actor)
    },
  }
}

export function createPostgresFormHistory ({ pool }: PostgresConnections): FormHistoryStore {
  return {
    async add (v) {
      const { rows } = await pool.query<{ id: number }>('INSERT INTO form_versions (form_id, text, hash, replaced_at, replaced_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [v.formId, v.text, v.hash, v.replacedAt, v.replacedBy])
      return rows[0]!.id
    },
    async remove (versionId) {
      await pool.query('DELETE FROM form_versions WHERE id = $1', [versionId])
    },
    async list (formId) {
      return (await pool.query<FormVersion>('SELECT id, form_id, hash, replaced_at, replaced_by FROM form_versions WHERE form_id = $1 ORDER BY id DESC', [formId])).rows
    },
    async get (formId, versionId) {
      return (await pool.query<FormVersion & { text: string }>('SELECT id, form_id, hash, replaced_at, replaced_by, text FROM form_versions WHERE form_id = $1 AND id = $2',
        [formId, versionId])).rows[0]
    },
  }
}

export function createPostgresSettings ({ pool }: PostgresConnections): SettingsStore {
  return {
    async get (key) {
      return (await pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value
    },
    async set (key, value) {
      await pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value])
    },
  }
}
