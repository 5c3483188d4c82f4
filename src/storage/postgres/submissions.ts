/** Submissions in PostgreSQL: the SubmissionStore contract. A token's nonce is spent in the same transaction. */
import { newReference } from '../../outbox/reference.js'
import type { Sealer } from '../../security/encryption.js'
import { openPersonalData, type SealedColumns } from '../sealed.js'
import type { SubmissionRecord, SubmissionStore } from '../types.js'
import { submissionAlertSql } from './alerts.js'
import type { PostgresConnections } from './connection.js'

export const RECORD_COLUMNS = `id, reference, form_id, form_hash, destination, created_at, attempts, next_attempt_at, lease_until,
  delivered_at, failed_at, held_reason, last_error, partly_delivered_at, quarantined_at, handled_at, crm_ids, progress::text AS progress,
  purged_at, quarantine_reason, payload IS NOT NULL AS has_personal_data`

const UNIQUE_VIOLATION = '23505'
const INSERT_COLUMNS = 'reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at, quarantined_at, quarantine_reason, confirm_to'

export function createPostgresSubmissions (c: PostgresConnections, sealer: Sealer): SubmissionStore {
  return {
    async insertOnce (s, now, opts) {
      for (let tries = 0; ; tries++) {
        const reference = newReference()
        try {
          const quarantine = opts.quarantineReason ?? null
          const values = [reference, s.formId, s.formHash, s.destination, sealer.seal(JSON.stringify(s.payload), reference), sealer.seal(JSON.stringify(s.answers), reference),
            now, quarantine === null ? now : null, quarantine === null ? null : now, quarantine,
            s.confirmTo === undefined || quarantine !== null ? null : sealer.seal(s.confirmTo, reference)]
          const row = '$1::text, $2::text, $3::text, $4::text, $5::bytea, $6::bytea, $7::bigint, $8::bigint, $9::bigint, $10::text, $11::bytea'
          // Its alerts, if it calls for any, in the same statement (so stored with it, or not at all).
          const alerts = quarantine !== null
            ? [submissionAlertSql('spam')]
            : [...(opts.alertNew ? [submissionAlertSql('new')] : []), ...(s.confirmTo !== undefined ? [submissionAlertSql('confirmation')] : [])]
          const alerting = alerts.map((sql, i) => `, alert${i} AS (${sql})`).join('')
          if (opts.nonce === undefined) {
            await c.pool.query(alerts.length === 0
              ? `INSERT INTO submissions (${INSERT_COLUMNS}) VALUES (${row})`
              : `WITH stored AS (INSERT INTO submissions (${INSERT_COLUMNS}) VALUES (${row}) RETURNING reference)${alerting} SELECT 1`, values)
            return { reference, duplicate: false as const }
          }
          // One statement, so one round trip and its own transaction: the nonce is spent and the referral
          // stored together, or neither. A statement spending the same nonce at the same moment is
          // waited for; then this one finds it spent and stores nothing: one referral per token.
          const { rows } = await c.pool.query<{ inserted: string | null }>(`WITH spent AS (
              INSERT INTO used_tokens (nonce, reference, expires_at) VALUES ($12, $1, $13) ON CONFLICT (nonce) DO NOTHING RETURNING nonce
            ), stored AS (
              INSERT INTO submissions (${INSERT_COLUMNS}) SELECT ${row} WHERE EXISTS (SELECT 1 FROM spent) RETURNING reference
            )${alerting} SELECT (SELECT reference FROM stored) AS inserted`, [...values, opts.nonce, opts.nonceExpiresAt ?? now])
          if (rows[0]?.inserted === reference) return { reference, duplicate: false as const }
          const spentBy = await c.pool.query<{ reference: string }>('SELECT reference FROM used_tokens WHERE nonce = $1', [opts.nonce])
          return { reference: spentBy.rows[0]!.reference, duplicate: true as const }
        } catch (err) {
          // A clash of references (1 in ~10^12 per pair): draw another. Anything else is real.
          if ((err as { code?: string, constraint?: string }).code !== UNIQUE_VIOLATION || (err as { constraint?: string }).constraint !== 'submissions_reference_key' || tries >= 5) throw err
        }
      }
    },
    async insertMany (list, now) {
      return c.transaction(async (client) => {
        const refs: string[] = []
        for (const s of list) {
          const reference = newReference()
          await client.query(`INSERT INTO submissions (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
          [reference, s.formId, s.formHash, s.destination, sealer.seal(JSON.stringify(s.payload), reference), sealer.seal(JSON.stringify(s.answers), reference), now])
          refs.push(reference)
        }
        return refs
      })
    },
    async findByReference (reference) {
      const { rows } = await c.pool.query<SubmissionRecord>(`SELECT ${RECORD_COLUMNS} FROM submissions WHERE reference = $1`, [reference])
      return rows[0]
    },
    async listRecent (limit) {
      return (await c.pool.query<SubmissionRecord>(`SELECT ${RECORD_COLUMNS} FROM submissions ORDER BY created_at DESC, id DESC LIMIT $1`, [limit])).rows
    },
    async confirmationAddress (reference) {
      const { rows } = await c.pool.query<{ confirm_to: Buffer | null }>('SELECT confirm_to FROM submissions WHERE reference = $1', [reference])
      const sealed = rows[0]?.confirm_to
      return sealed ? sealer.open(sealed, reference) : undefined
    },
    async forgetConfirmationAddress (reference) {
      await c.pool.query('UPDATE submissions SET confirm_to = NULL WHERE reference = $1', [reference])
    },
    async readPersonalData (reference) {
      const { rows } = await c.pool.query<SealedColumns>('SELECT payload, answers, crm_response FROM submissions WHERE reference = $1', [reference])
      return openPersonalData(sealer, reference, rows[0])
    },
    async purgeSpentTokens (now) {
      return (await c.pool.query('DELETE FROM used_tokens WHERE expires_at < $1', [now])).rowCount ?? 0
    },
  }
}
