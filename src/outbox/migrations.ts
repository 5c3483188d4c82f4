/**
 * Schema migrations, applied in order at start inside one transaction each, tracked with SQLite's
 * `user_version`. Never edit a released step: add a new one. (Hand-written: a dozen lines, where a
 * migration library would bring a second database layer.)
 */
import type Database from 'better-sqlite3'

const steps: string[] = [
  `CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    form_id TEXT NOT NULL,
    form_hash TEXT NOT NULL,
    destination TEXT NOT NULL CHECK (destination IN ('charitylog', 'lamplight')),
    payload BLOB,
    answers BLOB,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_until INTEGER,
    delivered_at INTEGER,
    failed_at INTEGER,
    held_reason TEXT,
    last_error TEXT,
    partly_delivered_at INTEGER,
    quarantined_at INTEGER,
    crm_ids TEXT,
    progress TEXT,
    purged_at INTEGER
  );
  CREATE INDEX submissions_due ON submissions (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL AND partly_delivered_at IS NULL AND quarantined_at IS NULL;
  CREATE INDEX submissions_form ON submissions (form_id, created_at);`,
  `ALTER TABLE submissions ADD COLUMN crm_response TEXT;
  CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX delivery_attempts_submission ON delivery_attempts (submission_id);`,
]

export function migrate (db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (let v = current; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}
