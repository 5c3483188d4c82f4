/**
 * What the deliveries pages read, in SQLite: counts per delivery state, one page of referrals (newest
 * first, filtered by state and form), the form ids. States come from DELIVERY_STATE_SQL, made from
 * the same table as `deliveryState`.
 */
import { DELIVERY_STATE_SQL, DELIVERY_STATES, stateInSql, type DeliveryState } from '../../outbox/delivery-state.js'
import type { DeliveryListRow, DeliveryQueries } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteDeliveries ({ db }: SqliteConnections): DeliveryQueries {
  const countStmt = db.prepare(`SELECT ${DELIVERY_STATE_SQL} AS state, count(*) AS n FROM submissions GROUP BY 1`)
  const formIdsStmt = db.prepare('SELECT DISTINCT form_id FROM submissions ORDER BY form_id').pluck()
  const TO_SEND = stateInSql(['waiting', 'held'])
  const waitingForStmt = db.prepare(`SELECT count(*) FROM submissions WHERE ${TO_SEND} AND destination = ?`).pluck()
  const oldestStmt = db.prepare(`SELECT min(created_at) FROM submissions WHERE ${TO_SEND}`).pluck()
  const quarantinedStmt = db.prepare('SELECT count(*) FROM submissions WHERE quarantined_at >= ?').pluck()
  return {
    async counts () {
      const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>
      for (const r of countStmt.all() as Array<{ state: DeliveryState, n: number }>) counts[r.state] = r.n
      return counts
    },
    async list (filter, offset, limit) {
      const where: string[] = []
      const args: unknown[] = []
      if (filter.state) {
        where.push(`(${DELIVERY_STATE_SQL}) = ?`)
        args.push(filter.state)
      }
      if (filter.form) {
        where.push('form_id = ?')
        args.push(filter.form)
      }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
      const total = db.prepare(`SELECT count(*) FROM submissions ${clause}`).pluck().get(...args) as number
      const rows = db.prepare(`SELECT reference, form_id, destination, created_at, attempts, next_attempt_at, held_reason, last_error,
          quarantine_reason, ${DELIVERY_STATE_SQL} AS state
        FROM submissions ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
        .all(...args, limit, offset) as DeliveryListRow[]
      return { rows, total }
    },
    async formIds () {
      return formIdsStmt.all() as string[]
    },
    async waitingFor (destination) { return waitingForStmt.get(destination) as number },
    async oldestWaiting () { return (oldestStmt.get() as number | null) ?? undefined },
    async quarantinedSince (since) { return quarantinedStmt.get(since) as number },
  }
}
