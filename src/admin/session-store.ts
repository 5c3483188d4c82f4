/**
 * Staff sessions in SQLite (table `admin_sessions`), in the callback shape @fastify/session (and
 * express-session) expects of a store. Sessions survive a restart, and a session idle for longer than
 * `idleMs` is gone: every request that saves it (the cookie is rolling) moves its expiry on.
 *
 * The table is keyed by a SHA-256 of the session id, so a copy of the database holds no usable
 * session. Expired rows are deleted as new sessions are saved (at most once a minute).
 */
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'

/** Staff are signed out after this long without a request. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000
const PURGE_EVERY_MS = 60 * 1000

type Callback = (err?: unknown) => void

/** `S`: the shape sessions are saved in (whatever JSON.stringify made of them). */
export interface SessionStore<S extends object = Record<string, unknown>> {
  /** The session saved under `id`, or null when there is none or it has expired. */
  get (id: string, cb: (err: unknown, session?: S | null) => void): void
  set (id: string, session: S, cb: Callback): void
  destroy (id: string, cb: Callback): void
  /** Deletes expired sessions; returns how many. */
  purgeExpired (): number
}

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex')

export function createSessionStore<S extends object = Record<string, unknown>> (db: Database.Database, opts: { idleMs?: number, now: () => number }): SessionStore<S> {
  const idleMs = opts.idleMs ?? SESSION_IDLE_MS
  const read = db.prepare('SELECT data FROM admin_sessions WHERE id_hash = ? AND expires_at > ?')
  const write = db.prepare(`INSERT INTO admin_sessions (id_hash, data, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`)
  const remove = db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?')
  const purge = db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?')
  let lastPurge = 0

  // better-sqlite3 is synchronous; the callbacks are called at once, errors passed on rather than thrown.
  const store: SessionStore<S> = {
    get (id, cb) {
      let row: { data: string } | undefined
      try {
        row = read.get(hashSessionId(id), opts.now()) as { data: string } | undefined
      } catch (err) {
        cb(err)
        return
      }
      cb(null, row ? JSON.parse(row.data) as S : null)
    },
    set (id, session, cb) {
      try {
        const now = opts.now()
        write.run(hashSessionId(id), JSON.stringify(session), now + idleMs)
        if (now - lastPurge >= PURGE_EVERY_MS) {
          lastPurge = now
          purge.run(now)
        }
      } catch (err) {
        cb(err)
        return
      }
      cb()
    },
    destroy (id, cb) {
      try {
        remove.run(hashSessionId(id))
      } catch (err) {
        cb(err)
        return
      }
      cb()
    },
    purgeExpired: () => purge.run(opts.now()).changes,
  }
  return store
}
