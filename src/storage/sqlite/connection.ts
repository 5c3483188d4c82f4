/**
 * The SQLite database: one file in DATA_DIR (WAL), opened with two connections, migrated at open.
 *
 * `db` commits with `synchronous=FULL`: every commit is fsynced before the call returns (staff
 * actions, the CLI). `groupDb` is for the busy paths, the visitors' submissions and the delivery
 * worker: `synchronous=NORMAL`, and the fsync is done apart, off the event loop, shared by every commit
 * made before it started (group commit, `flush`; docs/decisions/0005-group-commit.md). WAL checkpoints
 * run in a thread of their own (checkpointer.ts).
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { createPrivateFile, makePrivateDir } from '../../security/file-modes.js'
import { startCheckpointer, WAL_SAFETY_PAGES } from './checkpointer.js'
import { createFlusher } from './group-commit.js'
import { migrate } from './migrations.js'

export const DATABASE_FILE = 'referrals.db'

export interface SqliteConnections {
  file: string
  /** Every commit fsynced before it returns. */
  db: Database.Database
  /**
   * The group-commit connection: a commit is safe from a crash of the process at once, and on disk
   * (safe from a power cut) once a `flush` started after it has resolved.
   */
  groupDb: Database.Database
  /** Resolves once every commit made so far, on either connection, is on disk. */
  flush (): Promise<void>
  /** Copies the WAL into the database and truncates it, so no old page image stays behind (best effort). */
  scrubWal (): Promise<void>
  close (): void
}

function connect (file: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  return db
}

export function openSqlite (dataDir: string): SqliteConnections {
  makePrivateDir(dataDir)
  const file = path.join(dataDir, DATABASE_FILE)
  createPrivateFile(file)
  const db = connect(file, 'FULL')
  // Deleted content (the retention purge, expired sessions and tokens) is overwritten with zeros on
  // this connection, where every delete is made, instead of lingering in free space.
  db.pragma('secure_delete = ON')
  migrate(db)
  // Group commit relies on WAL (a commit is appended to the -wal file, which flush fsyncs). On a file
  // system where SQLite cannot use WAL, the second connection commits with FULL too and flush has
  // nothing left to do.
  const wal = db.pragma('journal_mode', { simple: true }) === 'wal'
  const groupDb = connect(file, wal ? 'NORMAL' : 'FULL')
  const flusher = wal ? createFlusher(`${file}-wal`) : undefined
  // Checkpoints in a thread of their own; the commits' own checkpoint stays, at a higher mark.
  for (const c of [db, groupDb]) c.pragma(`wal_autocheckpoint = ${WAL_SAFETY_PAGES}`)
  const checkpointer = wal ? startCheckpointer(file, (message) => process.emitWarning(`WAL checkpoints are back on the event loop: ${message}`)) : undefined
  let closed = false
  return {
    file,
    db,
    groupDb,
    flush: flusher?.flush ?? (async () => {}),
    async scrubWal () {
      // A reader (the checkpoint thread, the other connection) can keep the checkpoint from finishing:
      // it then says busy rather than failing. Try again for a few seconds; after that the next purge,
      // or the checkpoint thread, gets there.
      for (let i = 0; i < 40; i++) {
        if (closed) return
        try {
          const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>
          if (r?.busy === 0) return
        } catch {}
        await new Promise((resolve) => setTimeout(resolve, 50))
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
