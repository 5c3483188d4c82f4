/**
 * The durable store: one SQLite file in DATA_DIR (WAL, `synchronous=FULL` so a commit is fsynced
 * before the visitor is told "we have your referral"). A submission is stored already mapped to its
 * CRM payload, with a readable copy of the answers for staff; both are encrypted (src/security).
 *
 * Delivery state is not a column: it is derived from the facts recorded here (created_at, attempts,
 * next_attempt_at, delivered_at, failed_at, held_reason, partly_delivered_at, quarantined_at, handled_at):
 * see `deliveryState`.
 */
import { randomInt } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { CrmPayload, DestinationType } from '../crm/types.js'
import type { Sealer } from '../security/encryption.js'
import { migrate } from './migrations.js'

/** Staff-readable answers: sections (groups, people, the referral) of label/answer pairs. */
export interface ReadableSection { heading: string, items: Array<{ label: string, answer: string }> }

export interface NewSubmission {
  formId: string
  formHash: string
  destination: DestinationType
  payload: CrmPayload
  answers: ReadableSection[]
}

export interface SubmissionRow {
  id: number
  reference: string
  form_id: string
  form_hash: string
  destination: DestinationType
  payload: Buffer | null
  answers: Buffer | null
  created_at: number
  attempts: number
  next_attempt_at: number | null
  lease_until: number | null
  delivered_at: number | null
  failed_at: number | null
  held_reason: string | null
  last_error: string | null
  partly_delivered_at: number | null
  quarantined_at: number | null
  crm_ids: string | null
  progress: string | null
  purged_at: number | null
  /** The CRM's answer to the delivery, as it came (cut at 2,000 characters), sealed like `payload`. */
  crm_response: Buffer | null
  /** Why a submission was kept back as probable spam (honeypot, too fast). Never sent to the CRM. */
  quarantine_reason: string | null
  /** When staff marked it as handled by hand (entered in the CRM themselves): never sent again. */
  handled_at: number | null
}

export interface InsertOptions {
  /** The form token's nonce: spent in the same transaction, so a token makes at most one referral. */
  nonce?: string
  /** When the spent nonce may be forgotten (after the token could no longer be used anyway). */
  nonceExpiresAt?: number
  /** Store as quarantined (probable spam): kept for staff, never delivered. */
  quarantineReason?: string
}

export type InsertResult = { reference: string, duplicate: false } | { reference: string, duplicate: true }

export type DeliveryState = 'quarantined' | 'delivered' | 'handled' | 'partly_delivered' | 'failed' | 'held' | 'waiting'
export const DELIVERY_STATES: readonly DeliveryState[] = ['waiting', 'held', 'delivered', 'failed', 'partly_delivered', 'handled', 'quarantined']

/** `handled`: staff put it right by hand (a failed, held or partly delivered referral); it is never sent again. */
export function deliveryState (r: Pick<SubmissionRow, 'quarantined_at' | 'delivered_at' | 'partly_delivered_at' | 'failed_at' | 'held_reason'> & { handled_at?: number | null }): DeliveryState {
  if (r.quarantined_at !== null) return 'quarantined'
  if (r.delivered_at !== null) return 'delivered'
  if (r.handled_at != null) return 'handled'
  if (r.partly_delivered_at !== null) return 'partly_delivered'
  if (r.failed_at !== null) return 'failed'
  if (r.held_reason !== null) return 'held'
  return 'waiting'
}

/** `deliveryState` as an SQL expression over a submissions row, for counting and filtering. Keep the two in step. */
export const DELIVERY_STATE_SQL = `CASE
  WHEN quarantined_at IS NOT NULL THEN 'quarantined'
  WHEN delivered_at IS NOT NULL THEN 'delivered'
  WHEN handled_at IS NOT NULL THEN 'handled'
  WHEN partly_delivered_at IS NOT NULL THEN 'partly_delivered'
  WHEN failed_at IS NOT NULL THEN 'failed'
  WHEN held_reason IS NOT NULL THEN 'held'
  ELSE 'waiting' END`

/** 31 characters: no 0/O, 1/I/L, so a reference read out on the phone is not misheard. */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const REFERENCE_PATTERN = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/

export function newReference (): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]
  return s
}

export interface SqliteStore {
  readonly db: Database.Database
  readonly sealer: Sealer
  /** Stores a submission durably; returns its new reference. */
  insert (s: NewSubmission, now: number): string
  /**
   * Stores a submission durably unless its token's nonce was already spent: then nothing is stored and
   * the reference of the referral that spent it is returned with `duplicate: true` (a double click).
   */
  insertOnce (s: NewSubmission, now: number, opts: InsertOptions): InsertResult
  /** Forgets spent nonces whose tokens have expired. */
  purgeSpentTokens (now: number): number
  findByReference (reference: string): SubmissionRow | undefined
  /** Decrypts a row's payload and answers; undefined once personal data has been deleted. */
  readPersonalData (row: SubmissionRow): { payload: CrmPayload, answers: ReadableSection[] } | undefined
  /** true when the database answers a query. */
  ping (): boolean
  close (): void
}

export const DATABASE_FILE = 'referrals.db'

export function openSqliteStore (dataDir: string, sealer: Sealer): SqliteStore {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(path.join(dataDir, DATABASE_FILE))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)

  const insertStmt = db.prepare(`INSERT INTO submissions
    (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at, quarantined_at, quarantine_reason)
    VALUES (@reference, @formId, @formHash, @destination, @payload, @answers, @now,
      CASE WHEN @quarantine IS NULL THEN @now ELSE NULL END, CASE WHEN @quarantine IS NULL THEN NULL ELSE @now END, @quarantine)`)
  const byRef = db.prepare('SELECT * FROM submissions WHERE reference = ?')
  const spentBy = db.prepare('SELECT reference FROM used_tokens WHERE nonce = ?')
  const spend = db.prepare('INSERT INTO used_tokens (nonce, reference, expires_at) VALUES (?, ?, ?)')
  let closed = false

  function insertRow (s: NewSubmission, now: number, quarantine: string | null): string {
    for (let tries = 0; ; tries++) {
      const reference = newReference()
      try {
        insertStmt.run({
          reference, formId: s.formId, formHash: s.formHash, destination: s.destination, now, quarantine,
          payload: sealer.seal(JSON.stringify(s.payload), reference),
          answers: sealer.seal(JSON.stringify(s.answers), reference),
        })
        return reference
      } catch (err) {
        // A clash of references (1 in ~10^12 per pair): draw another. Anything else is real.
        if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' && (err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err
        if (tries >= 5) throw err
      }
    }
  }

  const insertOnceTx = db.transaction((s: NewSubmission, now: number, opts: InsertOptions): InsertResult => {
    if (opts.nonce !== undefined) {
      const spent = spentBy.get(opts.nonce) as { reference: string } | undefined
      if (spent) return { reference: spent.reference, duplicate: true }
    }
    const reference = insertRow(s, now, opts.quarantineReason ?? null)
    if (opts.nonce !== undefined) spend.run(opts.nonce, reference, opts.nonceExpiresAt ?? now)
    return { reference, duplicate: false }
  })

  return {
    db,
    sealer,
    insert (s, now) {
      return insertRow(s, now, null)
    },
    insertOnce (s, now, opts) {
      return insertOnceTx(s, now, opts)
    },
    purgeSpentTokens (now) {
      return db.prepare('DELETE FROM used_tokens WHERE expires_at < ?').run(now).changes
    },
    findByReference (reference) {
      return byRef.get(reference) as SubmissionRow | undefined
    },
    readPersonalData (row) {
      if (row.payload === null || row.answers === null) return undefined
      return {
        payload: JSON.parse(sealer.open(row.payload, row.reference)) as CrmPayload,
        answers: JSON.parse(sealer.open(row.answers, row.reference)) as ReadableSection[],
      }
    },
    ping () {
      try {
        return (db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1
      } catch {
        return false
      }
    },
    close () {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
