/** The audit log in SQLite (table `audit_log`). */
import type { AuditEntry, AuditStore } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteAudit ({ db }: SqliteConnections): AuditStore {
  const insert = db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
  const page = db.prepare('SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?')
  const pageOf = db.prepare('SELECT id, at, actor, action, subject, detail FROM audit_log WHERE actor = ? ORDER BY id DESC LIMIT ? OFFSET ?')
  const total = db.prepare('SELECT count(*) FROM audit_log').pluck()
  const totalOf = db.prepare('SELECT count(*) FROM audit_log WHERE actor = ?').pluck()
  const actors = db.prepare('SELECT DISTINCT actor FROM audit_log ORDER BY actor').pluck()
  return {
    async record (e) {
      insert.run(e.at, e.actor, e.action, e.subject ?? null, e.detail ?? null)
    },
    async list (offset, limit, actor) {
      return (actor === undefined ? page.all(limit, offset) : pageOf.all(actor, limit, offset)) as AuditEntry[]
    },
    async count (actor) {
      return (actor === undefined ? total.get() : totalOf.get(actor)) as number
    },
    async actors () {
      return actors.all() as string[]
    },
  }
}
