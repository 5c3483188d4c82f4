/**
 * The audit log as the staff pages write it: who did what, when. "Who" is the account, by name and
 * email; with the shared password (before the first account) it is `staff` and a short reference to
 * the session (a hash of its id, never the id itself), which tells one sitting from another. Never a
 * password, a CRM key or a referral's answers.
 */
import { createHash } from 'node:crypto'
import type { AuditAction, AuditEntry, AuditStore } from '../storage/index.js'

export interface AuditLog {
  record (actor: string, action: AuditAction, subject?: string, detail?: string): Promise<void>
  /** Newest first. */
  /** Only `actor`'s entries when given. */
  list (offset: number, limit: number, actor?: string): Promise<AuditEntry[]>
  count (actor?: string): Promise<number>
  actors (): Promise<string[]>
}

/** "staff (session 1a2b3c4d)": the same for every action of one sitting, useless to anyone holding it. */
export function staffActor (sessionId: string | undefined): string {
  if (!sessionId) return 'staff'
  return `staff (session ${createHash('sha256').update(`audit:${sessionId}`).digest('hex').slice(0, 8)})`
}

export function createAuditLog (store: AuditStore, now: () => number): AuditLog {
  return {
    record: (actor, action, subject, detail) => store.record({ at: now(), actor, action, subject, detail }),
    list: (offset, limit, actor) => store.list(offset, limit, actor),
    count: (actor) => store.count(actor),
    actors: () => store.actors(),
  }
}
