/**
 * What the deliveries pages read from the outbox: counts per delivery state, one page of referrals
 * (newest first, filtered by state and form), and how many need staff. States are worked out by
 * `DELIVERY_STATE_SQL`, the SQL twin of `deliveryState`. Read-only: changes go through the Outbox.
 */
import type Database from 'better-sqlite3'
import { DELIVERY_STATE_SQL, DELIVERY_STATES, type DeliveryState, type SubmissionRow } from '../outbox/sqlite-store.js'

export const PAGE_SIZE = 50

/** The facts a list shows; never the payload or the answers. */
export type DeliveryListRow = Pick<SubmissionRow, 'reference' | 'form_id' | 'destination' | 'created_at' | 'attempts' | 'next_attempt_at'
  | 'held_reason' | 'last_error' | 'quarantine_reason'> & { state: DeliveryState }

export interface DeliveryFilter { state?: DeliveryState | undefined, form?: string | undefined }

export interface Deliveries {
  counts (): Record<DeliveryState, number>
  /** One page (from 1) of referrals matching the filter, newest first, and how many match in all. */
  list (filter: DeliveryFilter, page: number): { rows: DeliveryListRow[], total: number }
  /** The form ids that have referrals, for the filter. */
  formIds (): string[]
}

export const isDeliveryState = (s: unknown): s is DeliveryState => typeof s === 'string' && (DELIVERY_STATES as readonly string[]).includes(s)

/** States that wait for staff: shown in the banner on every staff page. */
export const NEEDS_STAFF: readonly DeliveryState[] = ['failed', 'held', 'partly_delivered']

export function createDeliveries (db: Database.Database): Deliveries {
  const countStmt = db.prepare(`SELECT ${DELIVERY_STATE_SQL} AS state, count(*) AS n FROM submissions GROUP BY 1`)
  return {
    counts () {
      const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>
      for (const r of countStmt.all() as Array<{ state: DeliveryState, n: number }>) counts[r.state] = r.n
      return counts
    },
    list (filter, page) {
      const where: string[] = []
      const args: unknown[] = []
      if (filter.state) { where.push(`(${DELIVERY_STATE_SQL}) = ?`); args.push(filter.state) }
      if (filter.form) { where.push('form_id = ?'); args.push(filter.form) }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
      const total = (db.prepare(`SELECT count(*) AS n FROM submissions ${clause}`).get(...args) as { n: number }).n
      const rows = db.prepare(`SELECT reference, form_id, destination, created_at, attempts, next_attempt_at, held_reason, last_error,
          quarantine_reason, ${DELIVERY_STATE_SQL} AS state
        FROM submissions ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
        .all(...args, PAGE_SIZE, (Math.max(1, page) - 1) * PAGE_SIZE) as DeliveryListRow[]
      return { rows, total }
    },
    formIds: () => (db.prepare('SELECT DISTINCT form_id FROM submissions ORDER BY form_id').all() as Array<{ form_id: string }>).map((r) => r.form_id),
  }
}
