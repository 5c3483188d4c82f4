/**
 * The durable store: one SQLite file in DATA_DIR (WAL, `synchronous=FULL` so a commit is fsynced
 * before the visitor is told "we have your referral"). A submission is stored already mapped to its
 * CRM payload, with a readable copy of the answers for staff; both are encrypted (src/security).
 *
 * Delivery state is not a column: it is derived from the facts recorded here (created_at, attempts,
 * next_attempt_at, delivered_at, failed_at, held_reason, partly_delivered_at, quarantined_at): see
 * `deliveryState`.
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
  /** The CRM's answer to the delivery, as it came (cut at 2,000 characters). */
  crm_response: string | null
}

export type DeliveryState = 'quarantined' | 'delivered' | 'partly_delivered' | 'failed' | 'held' | 'waiting'

export function deliveryState (r: Pick<SubmissionRow, 'quarantined_at' | 'delivered_at' | 'partly_delivered_at' | 'failed_at' | 'held_reason'>): DeliveryState {
  if (r.quarantined_at !== null) return 'quarantined'
  if (r.delivered_at !== null) return 'delivered'
  if (r.partly_delivered_at !== null) return 'partly_delivered'
  if (r.failed_at !== null) return 'failed'
  if (r.held_reason !== null) return 'held'
  return 'waiting'
}

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
    (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at)
    VALUES (@reference, @formId, @formHash, @destination, @payload, @answers, @now, @now)`)
  const byRef = db.prepare('SELECT * FROM submissions WHERE reference = ?')
  let closed = false

  return {
    db,
    sealer,
    insert (s, now) {
      for (let tries = 0; ; tries++) {
        const reference = newReference()
        try {
          insertStmt.run({
            reference, formId: s.formId, formHash: s.formHash, destination: s.destination, now,
            payload: sealer.seal(JSON.stringify(s.payload), reference),
            answers: sealer.seal(JSON.stringify(s.answers), reference),
          })
          return reference
        } catch (err) {
          // A clash of references (1 in ~10^12 per pair): draw another. Anything else is real.
          if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE' || tries >= 5) throw err
        }
      }
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
