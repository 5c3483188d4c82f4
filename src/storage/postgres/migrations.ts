/**
 * The PostgreSQL schema, the same tables and columns as SQLite's (src/storage/sqlite/migrations.ts),
 * so a record reads the same from either. Applied in order, each step once, tracked in
 * `schema_migrations`, under an advisory lock held for the transaction: a second server starting at
 * the same moment waits, then finds nothing left to do. Never edit a released step: add a new one.
 */
import type pg from 'pg'

export const steps: string[] = [
  `CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    form_id TEXT NOT NULL,
    form_hash TEXT NOT NULL,
    destination TEXT NOT NULL CHECK (destination IN ('charitylog', 'lamplight')),
    payload BYTEA,
    answers BYTEA,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until BIGINT,
    delivered_at BIGINT,
    failed_at BIGINT,
    held_reason TEXT,
    last_error TEXT,
    partly_delivered_at BIGINT,
    quarantined_at BIGINT,
    handled_at BIGINT,
    crm_ids TEXT,
    progress JSONB,
    purged_at BIGINT,
    crm_response BYTEA,
    quarantine_reason TEXT
  );
  CREATE INDEX submissions_sendable ON submissions (destination, next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL AND partly_delivered_at IS NULL AND quarantined_at IS NULL
      AND handled_at IS NULL AND held_reason IS NULL;
  CREATE INDEX submissions_form ON submissions (form_id, created_at);
  CREATE TABLE delivery_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX delivery_attempts_submission ON delivery_attempts (submission_id);
  CREATE TABLE used_tokens (nonce TEXT PRIMARY KEY, reference TEXT NOT NULL, expires_at BIGINT NOT NULL);
  CREATE INDEX used_tokens_expiry ON used_tokens (expires_at);
  CREATE TABLE admin_sessions (id_hash TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL);
  CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
  CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT
  );
  CREATE INDEX audit_log_actor ON audit_log (actor, id);
  CREATE TABLE form_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    form_id TEXT NOT NULL,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    replaced_at BIGINT NOT NULL,
    replaced_by TEXT NOT NULL
  );
  CREATE INDEX form_versions_form ON form_versions (form_id, id);
  CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'caseworker')),
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    disabled_at BIGINT,
    last_sign_in_at BIGINT,
    password_hash TEXT,
    totp_secret BYTEA,
    totp_enabled_at BIGINT,
    totp_last_step BIGINT,
    recovery_hashes TEXT,
    sso_issuer TEXT,
    sso_subject TEXT
  );
  CREATE UNIQUE INDEX accounts_sso ON accounts (sso_issuer, sso_subject) WHERE sso_subject IS NOT NULL;
  CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // The live form files, for installs where several servers share the database (FormStore).
  `CREATE TABLE forms (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
  );`,
  // Email alerts and each CRM's health (issue 13): see the SQLite migrations.
  `CREATE TABLE alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reference TEXT,
    form_id TEXT,
    destination TEXT,
    detail TEXT,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    dropped_at BIGINT,
    lease_until BIGINT
  );
  CREATE INDEX alerts_unsent ON alerts (due_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
  CREATE INDEX alerts_kind_sent ON alerts (kind, sent_at);
  CREATE TABLE crm_health (
    destination TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    incident_kind TEXT CHECK (incident_kind IN ('keys', 'down')),
    incident_at BIGINT,
    healed_at BIGINT
  );`,
  'ALTER TABLE submissions ADD COLUMN confirm_to BYTEA;',
  `CREATE TABLE form_drafts (
    form_id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    base TEXT,
    version INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
  );`,
]

/** A number every server of this product agrees on, for the advisory lock of the migrations. */
const MIGRATION_LOCK = 7_311_019

/** `schema`: made first when given (tests); otherwise the tables go in the connection's own schema. */
export async function migratePostgres (client: pg.PoolClient, schema?: string): Promise<void> {
  // The lock first: even CREATE SCHEMA IF NOT EXISTS fails when two servers run it at the same moment.
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
  if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${client.escapeIdentifier(schema)}`)
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())')
  const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
  for (let v = rows[0]?.v ?? 0; v < steps.length; v++) {
    await client.query(steps[v]!)
    await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1])
  }
}
