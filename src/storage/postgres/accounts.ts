/** Staff accounts in PostgreSQL: the AccountStore contract. */
import type { Sealer } from '../../security/encryption.js'
import type { Account, AccountStore } from '../types.js'
import type { PostgresConnections } from './connection.js'

const COLUMNS = `id, email, name, role, created_at, activated_at, disabled_at, last_sign_in_at,
  password_hash IS NOT NULL AS has_password, totp_enabled_at, recovery_hashes`

type Row = Omit<Account, 'recovery_codes_left'> & { recovery_hashes: string | null }
const toAccount = ({ recovery_hashes: hashes, ...rest }: Row): Account => ({ ...rest, recovery_codes_left: hashes ? (JSON.parse(hashes) as string[]).length : 0 })
const context = (id: number) => `account:${id}`

export function createPostgresAccounts (c: PostgresConnections, sealer: Sealer): AccountStore {
  const { pool } = c
  const one = async (where: string, args: unknown[]) => {
    const row = (await pool.query<Row>(`SELECT ${COLUMNS} FROM accounts WHERE ${where}`, args)).rows[0]
    return row && toAccount(row)
  }
  return {
    async count () { return (await pool.query<{ n: number }>('SELECT count(*) AS n FROM accounts')).rows[0]!.n },
    async create ({ email, name, role, now }) {
      const { rows } = await pool.query<{ id: number }>('INSERT INTO accounts (email, name, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING id',
        [email.toLowerCase(), name, role, now])
      return rows[0] ? one('id = $1', [rows[0].id]) : undefined
    },
    findById: (id) => one('id = $1', [id]),
    findByEmail: (email) => one('email = $1', [email.toLowerCase()]),
    findBySsoSubject: (issuer, subject) => one('sso_issuer = $1 AND sso_subject = $2', [issuer, subject]),
    async list () {
      return (await pool.query<Row>(`SELECT ${COLUMNS} FROM accounts ORDER BY lower(name), email`)).rows.map(toAccount)
    },
    async passwordHash (id) {
      return (await pool.query<{ h: string | null }>('SELECT password_hash AS h FROM accounts WHERE id = $1', [id])).rows[0]?.h ?? undefined
    },
    async setPassword (id, hash, now) { await pool.query('UPDATE accounts SET password_hash = $1, activated_at = coalesce(activated_at, $2) WHERE id = $3', [hash, now, id]) },
    async setRole (id, role) { await pool.query('UPDATE accounts SET role = $1 WHERE id = $2', [role, id]) },
    async setDisabled (id, disabled, now) { await pool.query('UPDATE accounts SET disabled_at = $1 WHERE id = $2', [disabled ? now : null, id]) },
    async recordSignIn (id, now) { await pool.query('UPDATE accounts SET last_sign_in_at = $1 WHERE id = $2', [now, id]) },
    async linkSso (id, issuer, subject, now) {
      await pool.query('UPDATE accounts SET sso_issuer = $1, sso_subject = $2, activated_at = coalesce(activated_at, $3) WHERE id = $4', [issuer, subject, now, id])
    },
    async setTotp (id, t, now) {
      await pool.query('UPDATE accounts SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = NULL, recovery_hashes = $3 WHERE id = $4',
        [t ? sealer.seal(t.secret, context(id)) : null, t ? now : null, t ? JSON.stringify(t.recoveryHashes) : null, id])
    },
    async totpSecret (id) {
      const sealed = (await pool.query<{ s: Buffer | null }>('SELECT totp_secret AS s FROM accounts WHERE id = $1 AND totp_enabled_at IS NOT NULL', [id])).rows[0]?.s
      return sealed ? sealer.open(sealed, context(id)) : undefined
    },
    async useTotpStep (id, step) {
      return ((await pool.query('UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)', [id, step])).rowCount ?? 0) === 1
    },
    async useRecoveryCode (id, hash) {
      return c.transaction(async (client) => {
        const current = (await client.query<{ r: string | null }>('SELECT recovery_hashes AS r FROM accounts WHERE id = $1 FOR UPDATE', [id])).rows[0]?.r
        if (!current) return false
        const left = JSON.parse(current) as string[]
        if (!left.includes(hash)) return false
        await client.query('UPDATE accounts SET recovery_hashes = $1 WHERE id = $2', [JSON.stringify(left.filter((h) => h !== hash)), id])
        return true
      })
    },
    async issueToken (t) {
      await c.transaction(async (client) => {
        await client.query('DELETE FROM account_tokens WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL', [t.accountId, t.purpose])
        await client.query('INSERT INTO account_tokens (token_hash, account_id, purpose, expires_at) VALUES ($1, $2, $3, $4)', [t.tokenHash, t.accountId, t.purpose, t.expiresAt])
      })
    },
    async readToken (tokenHash, purpose, now, spend) {
      const sql = spend
        ? 'UPDATE account_tokens SET used_at = $4 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING account_id'
        : 'SELECT account_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3'
      return (await pool.query<{ account_id: number }>(sql, spend ? [tokenHash, purpose, now, now] : [tokenHash, purpose, now])).rows[0]?.account_id
    },
  }
}
