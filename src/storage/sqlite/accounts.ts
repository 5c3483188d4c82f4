/** Staff accounts in SQLite (tables `accounts`, `account_tokens`): the AccountStore contract. */
import type { Sealer } from '../../security/encryption.js'
import type { Account, AccountStore } from '../types.js'
import type { SqliteConnections } from './connection.js'

const COLUMNS = `id, email, name, role, created_at, activated_at, disabled_at, last_sign_in_at,
  password_hash IS NOT NULL AS has_password, totp_enabled_at, recovery_hashes`

type Row = Omit<Account, 'has_password' | 'recovery_codes_left'> & { has_password: number, recovery_hashes: string | null }

function toAccount ({ recovery_hashes: hashes, has_password: hasPassword, ...rest }: Row): Account {
  return { ...rest, has_password: hasPassword === 1, recovery_codes_left: hashes ? (JSON.parse(hashes) as string[]).length : 0 }
}

/** The sealed TOTP secret is bound to the account ("account:<id>"), so it cannot be moved to another. */
const context = (id: number) => `account:${id}`

export function createSqliteAccounts ({ db }: SqliteConnections, sealer: Sealer): AccountStore {
  const one = (where: string) => db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE ${where}`)
  const byId = one('id = ?')
  const byEmail = one('email = ?')
  const bySso = one('sso_issuer = ? AND sso_subject = ?')
  const all = db.prepare(`SELECT ${COLUMNS} FROM accounts ORDER BY name COLLATE NOCASE, email`)
  const insert = db.prepare('INSERT INTO accounts (email, name, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING')
  const count = db.prepare('SELECT count(*) FROM accounts').pluck()
  const hash = db.prepare('SELECT password_hash FROM accounts WHERE id = ?').pluck()
  const setPassword = db.prepare('UPDATE accounts SET password_hash = ?, activated_at = coalesce(activated_at, ?) WHERE id = ?')
  const setRole = db.prepare('UPDATE accounts SET role = ? WHERE id = ?')
  const setDisabled = db.prepare('UPDATE accounts SET disabled_at = ? WHERE id = ?')
  const signIn = db.prepare('UPDATE accounts SET last_sign_in_at = ? WHERE id = ?')
  const linkSso = db.prepare('UPDATE accounts SET sso_issuer = ?, sso_subject = ?, activated_at = coalesce(activated_at, ?) WHERE id = ?')
  const setTotp = db.prepare('UPDATE accounts SET totp_secret = ?, totp_enabled_at = ?, totp_last_step = NULL, recovery_hashes = ? WHERE id = ?')
  const totp = db.prepare('SELECT totp_secret FROM accounts WHERE id = ? AND totp_enabled_at IS NOT NULL').pluck()
  const step = db.prepare('UPDATE accounts SET totp_last_step = @step WHERE id = @id AND (totp_last_step IS NULL OR totp_last_step < @step)')
  const recovery = db.prepare('SELECT recovery_hashes FROM accounts WHERE id = ?').pluck()
  const setRecovery = db.prepare('UPDATE accounts SET recovery_hashes = ? WHERE id = ? AND recovery_hashes = ?')
  const dropTokens = db.prepare('DELETE FROM account_tokens WHERE account_id = ? AND purpose = ? AND used_at IS NULL')
  const addToken = db.prepare('INSERT INTO account_tokens (token_hash, account_id, purpose, expires_at) VALUES (?, ?, ?, ?)')
  const readToken = db.prepare('SELECT account_id FROM account_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?').pluck()
  const spendToken = db.prepare('UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL')
  const issue = db.transaction((t: { accountId: number, purpose: string, tokenHash: string, expiresAt: number }) => {
    dropTokens.run(t.accountId, t.purpose)
    addToken.run(t.tokenHash, t.accountId, t.purpose, t.expiresAt)
  })
  const take = db.transaction((tokenHash: string, purpose: string, now: number, spend: boolean) => {
    const id = readToken.get(tokenHash, purpose, now) as number | undefined
    if (id !== undefined && spend) spendToken.run(now, tokenHash)
    return id
  })
  const spendRecovery = db.transaction((id: number, hashOfCode: string) => {
    const current = recovery.get(id) as string | null | undefined
    if (!current) return false
    const left = JSON.parse(current) as string[]
    if (!left.includes(hashOfCode)) return false
    return setRecovery.run(JSON.stringify(left.filter((h) => h !== hashOfCode)), id, current).changes === 1
  })
  const found = (row: unknown) => (row === undefined ? undefined : toAccount(row as Row))

  return {
    async count () { return count.get() as number },
    async create ({ email, name, role, now }) {
      const { changes, lastInsertRowid } = insert.run(email.toLowerCase(), name, role, now)
      return changes === 1 ? found(byId.get(Number(lastInsertRowid))) : undefined
    },
    async findById (id) { return found(byId.get(id)) },
    async findByEmail (email) { return found(byEmail.get(email.toLowerCase())) },
    async findBySsoSubject (issuer, subject) { return found(bySso.get(issuer, subject)) },
    async list () { return (all.all() as Row[]).map(toAccount) },
    async passwordHash (id) { return (hash.get(id) as string | null | undefined) ?? undefined },
    async setPassword (id, h, now) { setPassword.run(h, now, id) },
    async setRole (id, role) { setRole.run(role, id) },
    async setDisabled (id, disabled, now) { setDisabled.run(disabled ? now : null, id) },
    async recordSignIn (id, now) { signIn.run(now, id) },
    async linkSso (id, issuer, subject, now) { linkSso.run(issuer, subject, now, id) },
    async setTotp (id, t, now) {
      setTotp.run(t ? sealer.seal(t.secret, context(id)) : null, t ? now : null, t ? JSON.stringify(t.recoveryHashes) : null, id)
    },
    async totpSecret (id) {
      const sealed = totp.get(id) as Buffer | null | undefined
      return sealed ? sealer.open(sealed, context(id)) : undefined
    },
    async useTotpStep (id, s) { return step.run({ id, step: s }).changes === 1 },
    async useRecoveryCode (id, h) { return spendRecovery(id, h) },
    async issueToken (t) { issue(t) },
    async readToken (tokenHash, purpose, now, spend) { return take(tokenHash, purpose, now, spend) },
  }
}
