/**
 * SECRET_KEY, or the one generated on first start and kept in DATA_DIR (configuration spec).
 * Losing it makes stored referrals unreadable, so it is written once, with owner-only permissions,
 * and never replaced.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { makePrivateDir } from './file-modes.js'

export const SECRET_FILE = 'secret.key'

export function resolveSecretKey (configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured
  makePrivateDir(dataDir)
  const file = path.join(dataDir, SECRET_FILE)
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = randomBytes(32).toString('base64url')
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
    return key
  } catch (err) {
    // Another process won the race: use its key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim()
    throw err
  }
}
