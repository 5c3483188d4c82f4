/**
 * Staff sessions in SQLite (table `admin_sessions`), keyed by a SHA-256 of the session id, so a copy
 * of the database holds no usable session.
 */
import { hashSessionId } from '../session-id.js'
import type { SessionStore } from '../types.js'
import type { SqliteConnections } from './connection.js'

export { hashSessionId }

export function createSqliteSessions ({ db }: SqliteConnections): SessionStore {
  const read = db.prepare('SELECT data FROM admin_sessions WHERE id_hash = ? AND expires_at > ?').pluck()
  const write = db.prepare(`INSERT INTO admin_sessions (id_hash, data, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`)
  const remove = db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?')
  const purge = db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?')
  return {
    async get (id, now) {
      return read.get(hashSessionId(id), now) as string | undefined
    },
    async set (id, data, expiresAt) {
      write.run(hashSessionId(id), data, expiresAt)
    },
    async destroy (id) {
      remove.run(hashSessionId(id))
    },
    async purgeExpired (now) {
      return purge.run(now).changes
    },
  }
}
