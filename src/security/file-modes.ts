/**
 * DATA_DIR holds the referrals (encrypted, but with the key beside them unless SECRET_KEY is set):
 * only the server's own user may read it. The folder is made 0700 and the database 0600 (SQLite gives
 * its -wal and -shm files the database's mode); a folder or file that already exists with wider
 * permissions is reported at start, not changed (it may be shared on purpose, for backups).
 */
import { accessSync, chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs'
import path from 'node:path'
import { folderError } from '../startup-error.js'

/**
 * Makes the DATA_DIR folder (and its parents) owner-only if it does not exist, and checks the server
 * can write in it: a StartupError that says so otherwise.
 */
export function makePrivateDir (dir: string): void {
  const purpose = 'point DATA_DIR at a folder the server may create and write, for its database and key'
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
    accessSync(dir, constants.W_OK | constants.X_OK)
  } catch (err) {
    throw folderError('DATA_DIR', dir, err, purpose)
  }
}

/** Creates `file` owner-only if it does not exist yet (before another program creates it with its own mode). */
export function createPrivateFile (file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600))
    chmodSync(file, 0o600) // whatever the umask
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}

/** A sentence for each of `paths` that others than its owner may read or write; none when all are private. */
export function widerThanPrivate (paths: string[]): string[] {
  const warnings: string[] = []
  for (const p of paths) {
    let mode: number
    try {
      mode = statSync(p).mode & 0o777
    } catch {
      continue
    }
    if ((mode & 0o077) !== 0) {
      warnings.push(`${path.basename(p)} in DATA_DIR can be read by other users of this machine (mode ${mode.toString(8).padStart(3, '0')}): ` +
        `run chmod ${statSync(p).isDirectory() ? '700' : '600'} ${p}`)
    }
  }
  return warnings
}
