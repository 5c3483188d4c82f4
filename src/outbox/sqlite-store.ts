/**
 * The durable store: one SQLite file in DATA_DIR (WAL). A submission is stored already mapped to its
 * CRM payload, with a readable copy of the answers for staff; both are encrypted (src/security).
 *
 * Two connections to the one file. `db` commits with `synchronous=FULL`: every commit is fsynced before
 * the call returns (staff pages, the CLI, tests). `groupDb` is for the busy paths, the visitors'
 * submissions and the delivery worker: `synchronous=NORMAL`, and the fsync is done apart, off the event
 * loop, shared by every commit made before it started (group commit, `flush`). A visitor is told "we
 * have your referral" only after the fsync that covers its commit (`insertOnceGrouped`), so the promise
 * is the same as with FULL; one fsync now serves all the requests that arrived meanwhile instead of
 * each waiting for its own, with the event loop blocked, in turn (docs/decisions/0004-group-commit.md).
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
import { startCheckpointer, WAL_SAFETY_PAGES } from './checkpointer.js'
import { createFlusher, createInsertBatch } from './group-commit.js'
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
  /** Every commit fsynced before it returns (`synchronous=FULL`). */
  readonly db: Database.Database
  /**
   * The group-commit connection (`synchronous=NORMAL`): a commit is safe from a crash of the process at
   * once, and on disk (safe from a power cut) once a `flush` started after it has resolved.
   */
  readonly groupDb: Database.Database
  readonly sealer: Sealer
  /** Stores a submission durably; returns its new reference. */
  insert (s: NewSubmission, now: number): string
  /**
   * Stores a submission durably unless its token's nonce was already spent: then nothing is stored and
   * the reference of the referral that spent it is returned with `duplicate: true` (a double click).
   */
  insertOnce (s: NewSubmission, now: number, opts: InsertOptions): InsertResult
  /**
   * `insertOnce` with group commit, for the request path: commits at once (so a second post of the same
   * token already sees its nonce spent) and resolves once that commit is on disk, its fsync shared with
   * the other commits made meanwhile. Rejects if the fsync fails: then nothing may be confirmed.
   */
  insertOnceGrouped (s: NewSubmission, now: number, opts: InsertOptions): Promise<InsertResult>
  /** Resolves once every commit made so far, on either connection, is on disk. */
  flush (): Promise<void>
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

function connect (file: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  return db
}

/** The statements that store a submission, on one connection. */
function createWriter (db: Database.Database, sealer: Sealer) {
  const insertStmt = db.prepare(`INSERT INTO submissions
    (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at, quarantined_at, quarantine_reason)
    VALUES (@reference, @formId, @formHash, @destination, @payload, @answers, @now,
      CASE WHEN @quarantine IS NULL THEN @now ELSE NULL END, CASE WHEN @quarantine IS NULL THEN NULL ELSE @now END, @quarantine)`)
  const spentBy = db.prepare('SELECT reference FROM used_tokens WHERE nonce = ?')
  const spend = db.prepare('INSERT INTO used_tokens (nonce, reference, expires_at) VALUES (?, ?, ?)')

  function insertRow (s: NewSubmission, now: number, quarantine: string | null): string {
    for (let tries = 0; ; tries++) {
      const reference = newReference()
      try {
        insertStmt.run({
          reference,
          formId: s.formId,
          formHash: s.formHash,
          destination: s.destination,
          now,
          quarantine,
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

  /** Stores one submission unless its token's nonce is spent; to be run inside a transaction. */
  function insertOnceIn (s: NewSubmission, now: number, opts: InsertOptions): InsertResult {
    if (opts.nonce !== undefined) {
      const spent = spentBy.get(opts.nonce) as { reference: string } | undefined
      if (spent) return { reference: spent.reference, duplicate: true }
    }
    const reference = insertRow(s, now, opts.quarantineReason ?? null)
    if (opts.nonce !== undefined) spend.run(opts.nonce, reference, opts.nonceExpiresAt ?? now)
    return { reference, duplicate: false }
  }
  return { insertRow, insertOnceIn, insertOnce: db.transaction(insertOnceIn) }
}

export function openSqliteStore (dataDir: string, sealer: Sealer): SqliteStore {
  mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, DATABASE_FILE)
  const db = connect(file, 'FULL')
  migrate(db)
  // Group commit relies on WAL (a commit is appended to the -wal file, which flush fsyncs). On a file
  // system where SQLite cannot use WAL, the second connection commits with FULL too and flush has
  // nothing left to do.
  const wal = db.pragma('journal_mode', { simple: true }) === 'wal'
  const groupDb = connect(file, wal ? 'NORMAL' : 'FULL')
  const flusher = wal ? createFlusher(`${file}-wal`) : undefined
  const flush = flusher?.flush ?? (async () => {})
  // Checkpoints in a thread of their own (checkpointer.ts); the commits' own checkpoint stays, later.
  for (const c of [db, groupDb]) c.pragma(`wal_autocheckpoint = ${WAL_SAFETY_PAGES}`)
  const checkpointer = wal ? startCheckpointer(file, (message) => process.emitWarning(`WAL checkpoints are back on the event loop: ${message}`)) : undefined

  const writer = createWriter(db, sealer)
  const groupWriter = createWriter(groupDb, sealer)
  const batch = createInsertBatch(groupDb, groupWriter.insertOnceIn, groupWriter.insertOnce, flush)
  const byRef = db.prepare('SELECT * FROM submissions WHERE reference = ?')
  let closed = false

  return {
    db,
    groupDb,
    sealer,
    insert (s, now) {
      return writer.insertRow(s, now, null)
    },
    insertOnce (s, now, opts) {
      return writer.insertOnce(s, now, opts)
    },
    insertOnceGrouped (s, now, opts) {
      return batch.add({ s, now, opts })
    },
    flush,
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
      checkpointer?.stop()
      flusher?.close()
      groupDb.close()
      db.close()
    },
  }
}
