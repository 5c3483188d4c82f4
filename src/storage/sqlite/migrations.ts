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
  `ALTER TABLE submissions ADD COLUMN quarantine_reason TEXT;
  CREATE TABLE used_tokens (
    nonce TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX used_tokens_expiry ON used_tokens (expires_at);`,
  // Staff pages (issue 5): a referral marked as handled by hand; staff sessions (keyed by a hash of
  // the session id); the audit log; the previous versions of form files saved from the editor.
  `ALTER TABLE submissions ADD COLUMN handled_at INTEGER;
  CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT
  );
  CREATE TABLE form_versions (
    id INTEGER PRIMARY KEY,
    form_id TEXT NOT NULL,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    replaced_at INTEGER NOT NULL,
    replaced_by TEXT NOT NULL
  );
  CREATE INDEX form_versions_form ON form_versions (form_id, id);`,
  // The worker's questions on every turn (rows to hold, to claim, the next due time) about only the
  // rows it may still send, per destination: without this index each one read every waiting row, so
  // a backlog of 100,000 made every turn slow (docs/performance.md).
  `CREATE INDEX submissions_sendable ON submissions (destination, next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL AND partly_delivered_at IS NULL AND quarantined_at IS NULL
      AND handled_at IS NULL AND held_reason IS NULL;`,
  // Every question about due rows now goes through submissions_sendable (per destination); the older
  // index answered none of them and cost every stored referral one more b-tree to update.
  'DROP INDEX submissions_due;',
  // Named staff accounts (issue 11): the account, its single-use links (stored hashed), staff
  // settings. The audit log's actor stays text: the account's name and email at the time.
  `CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'caseworker')),
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    disabled_at INTEGER,
    last_sign_in_at INTEGER,
    password_hash TEXT,
    totp_secret BLOB,
    totp_enabled_at INTEGER,
    totp_last_step INTEGER,
    recovery_hashes TEXT,
    sso_issuer TEXT,
    sso_subject TEXT
  );
  CREATE UNIQUE INDEX accounts_sso ON accounts (sso_issuer, sso_subject) WHERE sso_subject IS NOT NULL;
  CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE INDEX audit_log_actor ON audit_log (actor, id);`,
  // The live form files, for installs that keep forms in the database (FormStore; see PostgreSQL's).
  `CREATE TABLE forms (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
  ) WITHOUT ROWID;`,
  // Email alerts (issue 13): each written with the event that caused it, sent at most once; and what is
  // known of each CRM's health, so a CRM that is down makes one email for the incident, not one a referral.
  `CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reference TEXT,
    form_id TEXT,
    destination TEXT,
    detail TEXT,
    created_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    sent_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    dropped_at INTEGER,
    lease_until INTEGER
  );
  CREATE INDEX alerts_unsent ON alerts (due_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
  CREATE INDEX alerts_kind_sent ON alerts (kind, sent_at);
  CREATE TABLE crm_health (
    destination TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    incident_kind TEXT CHECK (incident_kind IN ('keys', 'down')),
    incident_at INTEGER,
    healed_at INTEGER
  ) WITHOUT ROWID;`,
  // The visitor's address for a confirmation email (sealed), until it is sent or the answers are deleted.
  'ALTER TABLE submissions ADD COLUMN confirm_to BLOB;',
  // The form builder's drafts (issue 14): not live until published.
  `CREATE TABLE form_drafts (
    form_id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    base TEXT,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
  ) WITHOUT ROWID;`,
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
