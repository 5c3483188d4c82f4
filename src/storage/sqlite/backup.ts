/**
 * An online back-up of the SQLite database (SQLite's backup API, through better-sqlite3): a consistent
 * copy of one moment, taken while the server keeps running and writing. The copy holds the personal
 * data sealed, as the database does; it is readable only with the install's key (SECRET_KEY, or
 * DATA_DIR/secret.key), which must be kept too, and apart.
 */
import { chmodSync, existsSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from './connection.js'

export async function backupSqlite (dataDir: string, to: string): Promise<{ file: string, bytes: number }> {
  const from = path.join(dataDir, DATABASE_FILE)
  if (!existsSync(from)) throw new Error(`There is no database at ${from}: set DATA_DIR to the install's data folder`)
  if (existsSync(to)) throw new Error(`${to} exists already: give the back-up a new file name`)
  const db = new Database(from, { readonly: true, fileMustExist: true })
  try {
    await db.backup(to)
  } finally {
    db.close()
  }
  chmodSync(to, 0o600)
  const copy = new Database(to, { readonly: true, fileMustExist: true })
  try {
    const ok = copy.pragma('integrity_check', { simple: true })
    if (ok !== 'ok') throw new Error(`The back-up at ${to} does not pass SQLite's integrity check (${String(ok)}): take it again`)
    return { file: to, bytes: (copy.pragma('page_count', { simple: true }) as number) * (copy.pragma('page_size', { simple: true }) as number) }
  } finally {
    copy.close()
  }
}
