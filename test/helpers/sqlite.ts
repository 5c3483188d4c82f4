/**
 * A test's own connection to an app's SQLite file, for what only the SQLite implementation shows: raw
 * columns (sealed blobs, NULLs after the purge), rows set up by hand. Everything else goes through the
 * storage interfaces, as the app does.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { DATABASE_FILE } from '../../src/storage/sqlite/index.js'
import type { AttemptRecord } from '../../src/storage/index.js'
import type { SubmissionRow } from '../../src/storage/sqlite/submissions.js'

export type { SubmissionRow }

const open = new Map<string, Database.Database>()

/** One connection per data folder, kept for the rest of the test file (it holds no lock). */
export function sqliteOf (app: FastifyInstance | string): Database.Database {
  const dataDir = typeof app === 'string' ? app : app.services.config.dataDir
  let db = open.get(dataDir)
  if (!db || !db.open) {
    db = new Database(path.join(dataDir, DATABASE_FILE))
    db.pragma('busy_timeout = 5000')
    open.set(dataDir, db)
  }
  return db
}

/** The row of `submissions` as stored, sealed columns included; undefined when there is none. */
export function rawRow (app: FastifyInstance, reference: string): SubmissionRow | undefined {
  return sqliteOf(app).prepare('SELECT * FROM submissions WHERE reference = ?').get(reference) as SubmissionRow | undefined
}

/** The attempts of a submission as stored, oldest first. */
export function attemptRows (app: FastifyInstance, submissionId: number): AttemptRecord[] {
  return sqliteOf(app).prepare('SELECT submission_id, started_at, finished_at, outcome, detail FROM delivery_attempts WHERE submission_id = ? ORDER BY id')
    .all(submissionId) as AttemptRecord[]
}
