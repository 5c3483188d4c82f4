/**
 * The one door to the app's state: `openStorage` picks the implementation (PostgreSQL when
 * DATABASE_URL is set, else SQLite in DATA_DIR) and gives it the sealer for personal data; nothing
 * else in the app sees either.
 */
import { createSealer } from '../security/encryption.js'
import { StartupError } from '../startup-error.js'
import { isUnavailable } from './errors.js'
import { openPostgresStorage } from './postgres/index.js'
import { openSqliteStorage } from './sqlite/index.js'
import type { Storage } from './types.js'

export type * from './types.js'
export { isUnavailable, StorageUnavailableError } from './errors.js'

export interface StorageOptions {
  dataDir: string
  /** SECRET_KEY (or the generated one): personal data is sealed with a key derived from it. */
  secret: string
  /** postgres://…: everything in that database instead of DATA_DIR. */
  databaseUrl?: string | undefined
}

/** Tries to reach PostgreSQL at start for this long before saying it does not answer (it may be starting too). */
const START_TRIES_MS = [0, 1000, 2000, 4000]

export async function openStorage (o: StorageOptions): Promise<Storage> {
  const sealer = createSealer(o.secret)
  if (o.databaseUrl === undefined) return openSqliteStorage(o.dataDir, sealer)
  for (let i = 0; ; i++) {
    await new Promise((resolve) => setTimeout(resolve, START_TRIES_MS[i]))
    try {
      return await openPostgresStorage(o.databaseUrl, sealer)
    } catch (err) {
      if (!isUnavailable(err) || i === START_TRIES_MS.length - 1) throw postgresStartupError(o.databaseUrl, err)
    }
  }
}

/** What went wrong reaching PostgreSQL at start, in one sentence naming DATABASE_URL; never its password. */
export function postgresStartupError (url: string, err: unknown): StartupError {
  let where = 'the address in DATABASE_URL'
  let database = ''
  let user = ''
  try {
    const u = new URL(url)
    where = `${u.hostname || 'localhost'}:${u.port || '5432'}`
    database = decodeURIComponent(u.pathname.slice(1))
    user = decodeURIComponent(u.username)
  } catch {}
  const e = (err as { cause?: unknown }).cause ?? err
  const code = (e as { code?: string }).code
  const say = (s: string) => new StartupError(`DATABASE_URL: ${s}`)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return say(`the host in ${where} cannot be found; check the host name`)
  if (code === '28P01' || code === '28000') return say(`PostgreSQL at ${where} refused the user name or password; check them in DATABASE_URL`)
  if (code === '3D000') return say(`the database "${database}" does not exist at ${where}; create it (createdb ${database}) or correct DATABASE_URL`)
  if (code === '42501') return say(`the user "${user}" may not create tables in the database "${database}" at ${where}; grant it CREATE, or use the database's owner`)
  if (isUnavailable(err)) return say(`PostgreSQL at ${where} does not answer; start it, or check the host and port in DATABASE_URL`)
  return say(`PostgreSQL at ${where} could not be used (${code ?? (e as Error).message})`)
}
