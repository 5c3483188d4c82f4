/**
 * Submissions in SQLite. A submission is stored already mapped to its CRM payload, with a readable
 * copy of the answers for staff; both are sealed (AES-256-GCM, src/security/encryption.ts) with the
 * reference as associated data, and so is the CRM's answer.
 *
 * A visitor's submission goes through group commit (ADR 0005): the inserts asked for in one turn of
 * the event loop share one transaction and one fsync, and each visitor is answered only after the
 * fsync that covers theirs, so "we have your referral" is said only of a row on disk.
 */
import type Database from 'better-sqlite3'
import { newReference } from '../../outbox/reference.js'
import type { Sealer } from '../../security/encryption.js'
import { openPersonalData, type SealedColumns } from '../sealed.js'
import { alertWriter } from './alerts.js'
import type { InsertOptions, InsertResult, NewSubmission, SubmissionRecord, SubmissionStore } from '../types.js'
import type { SqliteConnections } from './connection.js'
import { createInsertBatch } from './group-commit.js'

/** A row of `submissions` as SQLite returns it: the record's facts and the sealed columns. */
export interface SubmissionRow extends Omit<SubmissionRecord, 'has_personal_data'> {
  payload: Buffer | null
  answers: Buffer | null
  crm_response: Buffer | null
}

/** The columns a record is read from: every fact, and whether the payload is still there. */
export const RECORD_COLUMNS = `id, reference, form_id, form_hash, destination, created_at, attempts, next_attempt_at, lease_until,
  delivered_at, failed_at, held_reason, last_error, partly_delivered_at, quarantined_at, handled_at, crm_ids, progress, purged_at,
  quarantine_reason, payload IS NOT NULL AS has_personal_data`

/** SQLite gives booleans as 0/1. */
export function toRecord<T extends { has_personal_data: unknown }> (row: T): T & { has_personal_data: boolean } {
  row.has_personal_data = row.has_personal_data === 1 || row.has_personal_data === true
  return row as T & { has_personal_data: boolean }
}

/** The statements that store a submission, on one connection. */
function createWriter (db: Database.Database, sealer: Sealer) {
  const insertStmt = db.prepare(`INSERT INTO submissions
    (reference, form_id, form_hash, destination, payload, answers, created_at, next_attempt_at, quarantined_at, quarantine_reason, confirm_to)
    VALUES (@reference, @formId, @formHash, @destination, @payload, @answers, @now,
      CASE WHEN @quarantine IS NULL THEN @now ELSE NULL END, CASE WHEN @quarantine IS NULL THEN NULL ELSE @now END, @quarantine, @confirmTo)`)
  const spentBy = db.prepare('SELECT reference FROM used_tokens WHERE nonce = ?')
  const spend = db.prepare('INSERT INTO used_tokens (nonce, reference, expires_at) VALUES (?, ?, ?)')
  const alerts = alertWriter(db)

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
          confirmTo: s.confirmTo === undefined || quarantine !== null ? null : sealer.seal(s.confirmTo, reference),
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
    if (opts.quarantineReason !== undefined) {
      alerts.spam(now)
    } else {
      if (opts.alertNew) alerts.add({ key: `new_referral:${reference}`, kind: 'new_referral', reference, formId: s.formId, destination: s.destination, at: now })
      if (s.confirmTo !== undefined) alerts.add({ key: `confirmation:${reference}`, kind: 'confirmation', reference, formId: s.formId, destination: s.destination, at: now })
    }
    return { reference, duplicate: false }
  }
  return { insertRow, insertOnceIn, insertOnce: db.transaction(insertOnceIn) }
}

export function createSqliteSubmissions (c: SqliteConnections, sealer: Sealer): SubmissionStore {
  const writer = createWriter(c.db, sealer)
  const groupWriter = createWriter(c.groupDb, sealer)
  const batch = createInsertBatch(c.groupDb, groupWriter.insertOnceIn, groupWriter.insertOnce, c.flush)
  const byRef = c.db.prepare(`SELECT ${RECORD_COLUMNS} FROM submissions WHERE reference = ?`)
  const recent = c.db.prepare(`SELECT ${RECORD_COLUMNS} FROM submissions ORDER BY created_at DESC, id DESC LIMIT ?`)
  const sealed = c.db.prepare('SELECT payload, answers, crm_response FROM submissions WHERE reference = ?')
  const purgeTokens = c.db.prepare('DELETE FROM used_tokens WHERE expires_at < ?')
  const confirmTo = c.db.prepare('SELECT confirm_to FROM submissions WHERE reference = ?').pluck()
  const forgetConfirmTo = c.db.prepare('UPDATE submissions SET confirm_to = NULL WHERE reference = ?')
  const insertAll = c.db.transaction((list: NewSubmission[], now: number) => list.map((s) => writer.insertRow(s, now, null)))

  return {
    insertOnce: (s, now, opts) => batch.add({ s, now, opts }),
    async insertMany (list, now) {
      return insertAll(list, now)
    },
    async findByReference (reference) {
      const row = byRef.get(reference) as SubmissionRecord | undefined
      return row && toRecord(row)
    },
    async listRecent (limit) {
      return (recent.all(limit) as SubmissionRecord[]).map(toRecord)
    },
    async readPersonalData (reference) {
      return openPersonalData(sealer, reference, sealed.get(reference) as SealedColumns | undefined)
    },
    async confirmationAddress (reference) {
      const sealed = confirmTo.get(reference) as Buffer | null | undefined
      return sealed ? sealer.open(sealed, reference) : undefined
    },
    async forgetConfirmationAddress (reference) {
      forgetConfirmTo.run(reference)
    },
    async purgeSpentTokens (now) {
      return purgeTokens.run(now).changes
    },
  }
}
