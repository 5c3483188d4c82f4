/**
 * Alerts and each CRM's health in SQLite (tables `alerts`, `crm_health`): the AlertStore contract, and
 * the statements the outbox and the submissions run inside their own transactions, so an alert is
 * stored with the event that caused it (`alertWriter`).
 */
import type Database from 'better-sqlite3'
import { HEALTHY, healthOf, sameHealth, type CrmHealth, type HealthRow } from '../../alerts/incidents.js'
import { PENDING_SUFFIX, SPAM_ALERT_EVERY_MS, SPAM_PENDING_KEY } from '../../alerts/kinds.js'
import type { DestinationType } from '../../crm/types.js'
import type { Alert, AlertStore, CrmIncident, NewAlert } from '../types.js'
import type { SqliteConnections } from './connection.js'

/** The statements that write alerts and health, on one connection, for use inside its transactions. */
export function alertWriter (db: Database.Database) {
  const insert = db.prepare(`INSERT INTO alerts (key, kind, reference, form_id, destination, detail, created_at, due_at)
    VALUES (@key, @kind, @reference, @formId, @destination, @detail, @at, @dueAt) ON CONFLICT (key) DO NOTHING`)
  // One pending spam alert gathers every quarantined referral until it is sent, at most one an hour.
  const spam = db.prepare(`INSERT INTO alerts (key, kind, created_at, due_at)
    VALUES ('${SPAM_PENDING_KEY}', 'quarantined', @at,
      max(@at, coalesce((SELECT max(sent_at) FROM alerts WHERE kind = 'quarantined'), 0) + ${SPAM_ALERT_EVERY_MS}))
    ON CONFLICT (key) DO NOTHING`)
  const healthGet = db.prepare('SELECT failures, incident_kind, incident_at, healed_at FROM crm_health WHERE destination = ?')
  const healthSet = db.prepare(`INSERT INTO crm_health (destination, failures, incident_kind, incident_at, healed_at) VALUES (@destination, @failures, @kind, @at, @healedAt)
    ON CONFLICT (destination) DO UPDATE SET failures = excluded.failures, incident_kind = excluded.incident_kind, incident_at = excluded.incident_at,
      healed_at = excluded.healed_at`)
  return {
    add (a: NewAlert): boolean {
      return insert.run({
        key: a.key,
        kind: a.kind,
        reference: a.reference ?? null,
        formId: a.formId ?? null,
        destination: a.destination ?? null,
        detail: a.detail ?? null,
        at: a.at,
        dueAt: a.dueAt ?? a.at,
      }).changes === 1
    },
    spam (at: number): void {
      spam.run({ at })
    },
    health (destination: DestinationType): CrmHealth {
      const row = healthGet.get(destination) as HealthRow | undefined
      return row ? healthOf(row) : HEALTHY
    },
    /** Writes `next` if it differs from `before` (a healthy CRM's deliveries write nothing). */
    setHealth (destination: DestinationType, before: CrmHealth, next: CrmHealth): void {
      if (sameHealth(before, next)) return
      healthSet.run({ destination, failures: next.failures, kind: next.incident?.kind ?? null, at: next.incident?.opened_at ?? null, healedAt: next.healedAt })
    },
  }
}

const COLUMNS = 'id, key, kind, reference, form_id, destination, detail, created_at, due_at, sent_at, attempts, last_error, dropped_at'
const UNSENT = 'sent_at IS NULL AND dropped_at IS NULL'
/** A gathering key is closed when its alert is sent or dropped, so the next event starts a new one. */
const CLOSE_KEY = `key = CASE WHEN key LIKE '%${PENDING_SUFFIX}' THEN kind || ':' || id ELSE key END`

export function createSqliteAlerts ({ db }: SqliteConnections): AlertStore {
  const writer = alertWriter(db)
  const claim = db.prepare(`UPDATE alerts SET lease_until = @until WHERE id IN (
      SELECT id FROM alerts WHERE ${UNSENT} AND due_at <= @now AND (lease_until IS NULL OR lease_until < @now) ORDER BY due_at, id LIMIT @limit)
    RETURNING ${COLUMNS}`)
  const sent = db.prepare(`UPDATE alerts SET sent_at = ?, attempts = attempts + 1, lease_until = NULL, last_error = NULL, ${CLOSE_KEY} WHERE id = ? AND ${UNSENT}`)
  const retry = db.prepare('UPDATE alerts SET attempts = attempts + 1, lease_until = NULL, last_error = ?, due_at = ? WHERE id = ?')
  const drop = db.prepare(`UPDATE alerts SET attempts = attempts + 1, lease_until = NULL, last_error = ?, dropped_at = ?, ${CLOSE_KEY} WHERE id = ?`)
  const dropBefore = db.prepare(`UPDATE alerts SET last_error = ?, dropped_at = ?, lease_until = NULL, ${CLOSE_KEY} WHERE ${UNSENT} AND created_at < ?`)
  const retryNow = db.prepare(`UPDATE alerts SET due_at = ?, lease_until = NULL WHERE ${UNSENT} AND attempts > 0 AND due_at > ?`)
  const list = db.prepare(`SELECT ${COLUMNS} FROM alerts ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
  const count = db.prepare('SELECT count(*) FROM alerts').pluck()
  const lastSent = db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE kind = ? AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`)
  const incidents = db.prepare('SELECT destination, incident_kind AS kind, incident_at AS opened_at FROM crm_health WHERE incident_kind IS NOT NULL ORDER BY destination')
  const nextDue = db.prepare(`SELECT min(due_at) FROM alerts WHERE ${UNSENT} AND lease_until IS NULL`).pluck()
  const purge = db.prepare('DELETE FROM alerts WHERE coalesce(sent_at, dropped_at) < ?')
  return {
    async add (a) { return writer.add(a) },
    async claimDue (now, leaseMs, limit) {
      const rows = claim.all({ now, until: now + leaseMs, limit }) as Alert[]
      return rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id)
    },
    async markSent (id, now) { sent.run(now, id) },
    async markFailed (id, now, error, retryAt) {
      if (retryAt === undefined) drop.run(error, now, id)
      else retry.run(error, retryAt, id)
    },
    async dropBefore (before, now, reason) { return dropBefore.run(reason, now, before).changes },
    async retryNow (now) { return retryNow.run(now, now).changes },
    async list (offset, limit) { return list.all(limit, offset) as Alert[] },
    async count () { return count.get() as number },
    async lastSent (kind) { return lastSent.get(kind) as Alert | undefined },
    async incidents () { return incidents.all() as CrmIncident[] },
    async nextDueAt () { return (nextDue.get() as number | null) ?? undefined },
    async purge (before) { return purge.run(before).changes },
  }
}
