/** Submissions in PostgreSQL: the SubmissionStore contract. A token's nonce is spent in the same transaction. */
import { newReference } from '../../outbox/reference.js'
import type { Sealer } from '../../security/encryption.js'
import { openPersonalData, type SealedColumns } from '../sealed.js'
import type { SubmissionRecord, SubmissionStore } from '../types.js'
import type { PostgresConnections } from './connection.js'

export const RECORD_COLUMNS = `id, reference, form_id, form_hash, destination, created_at, attempts, next_attempt_at, lease_until,
  delivered_at, failed_at, held_reason, last_error, partly_delivered_at, quarantined_at, handled_at, crm_ids, progress::text AS progress,
  purged_at, quarantine_reason, payload IS NOT NULL AS has_personal_data`

const UNIQUE_VIOLATION = '23505'

export function createPostgresSubmissions (c: PostgresConnections, sealer: Sealer): SubmissionStore {
  return {
    async insertOnce (s, now, opts) {
      for (let tries = 0; ; tries++) {
        const reference = newReference()
        try {
          return await c.transaction(async (client) => {
            if (opts.nonce !== undefined) {
              // Waits for a transaction spending the same nonce, then finds it spent: one referral per token.
              const spent = await client.query('INSERT INTO used_tokens (nonce, reference, expires_at) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING RETURNING nonce',
                [opts.nonce, reference, opts.nonceExpiresAt ?? now])
              if (spent.rowCount === 0) {
                const { rows } = await client.query<{ reference: string }>('SELECT reference FROM used_tokens WHERE nonce = $1', [opts.nonce])
                return { reference: rows[0]!.reference, duplicate: true as const }
              }
            }
            const quarantine = opts.quarantineReason ?? null
            await client.query(`INSERT INTO submissions (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at,
                quarantined_at, quarantine_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [reference, s.formId, s.formHash, s.destination, sealer.seal(JSON.stringify(s.payload), reference), sealer.seal(JSON.stringify(s.answers), reference),
              now, quarantine === null ? now : null, quarantine === null ? null : now, quarantine])
            return { reference, duplicate: false as const }
          })
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
    async readPersonalData (reference) {
      const { rows } = await c.pool.query<SealedColumns>('SELECT payload, answers, crm_response FROM submissions WHERE reference = $1', [reference])
      return openPersonalData(sealer, reference, rows[0])
    },
    async purgeSpentTokens (now) {
      return (await c.pool.query('DELETE FROM used_tokens WHERE expires_at < $1', [now])).rowCount ?? 0
    },
  }
}
