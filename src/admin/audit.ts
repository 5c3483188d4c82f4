/**
 * The audit log: who did what, when, on the staff pages. There is one shared password, so "who" is
 * `staff` and a short reference to the session (a hash of its id, never the id itself), which tells
 * one sitting from another. Never a password, a CRM key or a referral's answers.
 */
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'

export type AuditAction =
  | 'sign-in' | 'sign-in failed' | 'sign-out'
  | 'form saved' | 'form created' | 'form restored'
  | 'connection tested'
  | 'retry' | 'marked handled' | 'released' | 'deleted'

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: AuditAction
  /** What it was done to: a form id, a reference, a destination. */
  subject: string | null
  /** A short outcome in plain words ("ok", "not configured", the version replaced). */
  detail: string | null
}

export interface AuditLog {
  record (actor: string, action: AuditAction, subject?: string, detail?: string): void
  /** Newest first. */
  list (offset: number, limit: number): AuditEntry[]
  count (): number
}

/** "staff (session 1a2b3c4d)": the same for every action of one sitting, useless to anyone holding it. */
export function staffActor (sessionId: string | undefined): string {
  if (!sessionId) return 'staff'
  return `staff (session ${createHash('sha256').update(`audit:${sessionId}`).digest('hex').slice(0, 8)})`
}

export function createAuditLog (db: Database.Database, now: () => number): AuditLog {
  const insert = db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
  const page = db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?')
  const total = db.prepare('SELECT count(*) AS n FROM audit_log')
  return {
    record (actor, action, subject, detail) {
      insert.run(now(), actor, action, subject ?? null, detail ?? null)
    },
    list: (offset, limit) => page.all(limit, offset) as AuditEntry[],
    count: () => (total.get() as { n: number }).n,
  }
}
