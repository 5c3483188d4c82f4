/**
 * The storage contract: every piece of state the app keeps, as the rest of the app sees it. Nothing
 * outside src/storage opens a database, writes SQL or touches the encryption of personal data: it
 * calls these interfaces. Each has one contract test suite (test/storage/contract/) that every
 * implementation passes: SQLite (src/storage/sqlite/) and PostgreSQL (src/storage/postgres/).
 *
 * Every method returns a promise, so that an implementation on a database server can honour the same
 * contract; the SQLite one answers at once.
 */
import type { CrmPayload, DeliveryOutcome, DestinationType } from '../crm/types.js'
import type { DeliveryFacts, DeliveryState } from '../outbox/delivery-state.js'

/** Staff-readable answers: sections (groups, people, the referral) of label/answer pairs. */
export interface ReadableSection { heading: string, items: Array<{ label: string, answer: string }> }

export interface NewSubmission {
  formId: string
  formHash: string
  destination: DestinationType
  payload: CrmPayload
  answers: ReadableSection[]
  /**
   * The visitor's address for a confirmation email, when they asked for one: stored sealed, and a
   * `confirmation` alert with it; deleted once sent, or with the answers. Not stored for probable spam.
   */
  confirmTo?: string | undefined
}

/**
 * A stored submission: the facts of its delivery (no personal data; see `readPersonalData`). Times are
 * milliseconds since the epoch. Delivery state is derived from the facts (delivery-state.ts).
 */
export interface SubmissionRecord extends DeliveryFacts {
  id: number
  /** 8 characters of REFERENCE_ALPHABET: what the visitor is shown. */
  reference: string
  form_id: string
  /** Which version of the form file it was made with. */
  form_hash: string
  destination: DestinationType
  created_at: number
  attempts: number
  /** When it is due to be sent; null when nothing is due (delivered, failed, held, quarantined...). */
  next_attempt_at: number | null
  /** Claimed by a delivery until then (at-least-once: an expired lease is claimed again). */
  lease_until: number | null
  last_error: string | null
  /** JSON of the record IDs the CRM returned. */
  crm_ids: string | null
  /** JSON of the IDs a multi-step delivery saved so far (Lamplight profiles), so a retry resumes. */
  progress: string | null
  /** When the personal data was deleted (retention). */
  purged_at: number | null
  /** Why a submission was kept back as probable spam (honeypot, too fast). Never sent to the CRM. */
  quarantine_reason: string | null
  /** Whether its payload and answers are still stored (false once purged). */
  has_personal_data: boolean
}

/** A record claimed for delivery, with its payload opened. */
export interface ClaimedSubmission extends SubmissionRecord { payload: CrmPayload }

export interface PersonalData {
  payload: CrmPayload
  answers: ReadableSection[]
  /** The CRM's answer to the delivery as it came (cut at 2,000 characters), if it sent one. */
  crmResponse: string | undefined
}

export interface InsertOptions {
  /** The form token's nonce: spent in the same transaction, so a token makes at most one referral. */
  nonce?: string
  /** When the spent nonce may be forgotten (after the token could no longer be used anyway). */
  nonceExpiresAt?: number
  /** Store as quarantined (probable spam): kept for staff, never delivered. Adds to the pending spam alert (AlertStore). */
  quarantineReason?: string
  /** Store a "new referral" alert with it, in the same transaction (the form asks for one: alerts.new_referrals). */
  alertNew?: boolean
}

export type InsertResult = { reference: string, duplicate: false } | { reference: string, duplicate: true }

/** Submissions and the single-use form tokens that guard them. */
export interface SubmissionStore {
  /**
   * Stores a submission durably unless its token's nonce was already spent: then nothing is stored and
   * the reference of the referral that spent it is returned with `duplicate: true` (a double click).
   * Resolves only once the submission is on disk: then, and only then, may the visitor be told.
   * Concurrent calls may share one disk flush (group commit, ADR 0005).
   */
  insertOnce (s: NewSubmission, now: number, opts: InsertOptions): Promise<InsertResult>
  /** Stores many submissions in one transaction, due at `now` (seeding the bench; imports). */
  insertMany (list: NewSubmission[], now: number): Promise<string[]>
  /** Undefined when there is no such reference. */
  findByReference (reference: string): Promise<SubmissionRecord | undefined>
  /** Newest first, at most `limit`. */
  listRecent (limit: number): Promise<SubmissionRecord[]>
  /** The opened payload, answers and CRM answer; undefined once personal data has been deleted. */
  readPersonalData (reference: string): Promise<PersonalData | undefined>
  /** The visitor's address for their confirmation email, opened; undefined once sent or deleted. */
  confirmationAddress (reference: string): Promise<string | undefined>
  /** Deletes the visitor's address (their email was sent, or can never be). */
  forgetConfirmationAddress (reference: string): Promise<void>
  /** Forgets spent nonces whose tokens have expired. Returns how many. */
  purgeSpentTokens (now: number): Promise<number>
}

export interface AttemptRecord { submission_id: number, started_at: number, finished_at: number, outcome: string, detail: string | null }

/**
 * The submissions seen as a queue. Every change of delivery state is one statement or transaction on
 * facts. Claims are leases: a process killed mid-delivery leaves a lease that expires, and the row is
 * claimed again (at-least-once delivery).
 */
export interface OutboxStore {
  /** Leases up to `limit` due rows (oldest due first) of these destinations for `leaseMs`. */
  claimDue (now: number, leaseMs: number, limit: number, destinations: readonly DestinationType[]): Promise<ClaimedSubmission[]>
  /**
   * Records one attempt's outcome and ends the lease. `retryAt` is used for `retry` unless `maxAttempts`
   * are used up (then it is failed). Safe from a crash of the process at once; on disk shortly after.
   * In the same transaction, the CRM's health (crm_health) and the alerts it calls for (src/alerts/incidents.ts):
   * a referral failed or partly delivered, an incident opened (a CRM down or refusing its keys) or over.
   */
  record (claim: Pick<SubmissionRecord, 'id' | 'reference' | 'form_id' | 'destination'>, outcome: DeliveryOutcome, startedAt: number, now: number, retryAt: number, maxAttempts: number): Promise<void>
  /** Saves one step's ID durably before the next step starts. */
  saveProgress (id: number, key: string, value: string | number): Promise<void>
  progressOf (id: number): Promise<Record<string, string | number>>
  /** Marks every waiting row of a destination as held (no credentials), opening a keys incident if rows were held. Returns how many. */
  holdDestination (destination: DestinationType, reason: string, now: number): Promise<number>
  /** Held rows of a destination become due at `now` (credentials now set). Returns how many. */
  releaseHeld (destination: DestinationType, now: number): Promise<number>
  /** Makes one row due now again (see ACTIONS.retry); false when its state or purged data forbid it. */
  retryNow (reference: string, now: number): Promise<boolean>
  /** Records that staff handled it by hand (see ACTIONS.handle): never sent again. */
  markHandled (reference: string, now: number): Promise<boolean>
  /** A quarantined row judged genuine: no longer quarantined, due now. */
  releaseQuarantined (reference: string, now: number): Promise<boolean>
  /** Deletes a quarantined row and its attempts for good. */
  deleteQuarantined (reference: string): Promise<boolean>
  /** Deletes the personal data of rows delivered (or handled by hand) before `before`. Returns how many. */
  purgeDelivered (before: number, now: number): Promise<number>
  /** Releases every claim (at start, under the instance lock: any claim then is a dead process's). */
  releaseAllLeases (): Promise<number>
  /** Oldest first. */
  attempts (id: number): Promise<AttemptRecord[]>
  /**
   * The next time a row of these destinations falls due, if any. Rows being sent are left out: the
   * end of their delivery wakes the worker.
   */
  nextDueAt (destinations: readonly DestinationType[]): Promise<number | undefined>
  /** Resolves once every outcome recorded so far is on disk. */
  flush (): Promise<void>
}

/** The facts a staff list shows; never the personal data. */
export type DeliveryListRow = Pick<SubmissionRecord, 'reference' | 'form_id' | 'destination' | 'created_at' | 'attempts' | 'next_attempt_at'
  | 'held_reason' | 'last_error' | 'quarantine_reason'> & { state: DeliveryState }

export interface DeliveryFilter { state?: DeliveryState | undefined, form?: string | undefined }

/** What the deliveries pages read. */
export interface DeliveryQueries {
  counts (): Promise<Record<DeliveryState, number>>
  /** One page (`offset`, `limit`) of referrals matching the filter, newest first, and how many match in all. */
  list (filter: DeliveryFilter, offset: number, limit: number): Promise<{ rows: DeliveryListRow[], total: number }>
  /** The form ids that have referrals, for the filter. */
  formIds (): Promise<string[]>
  /** Referrals of a destination still to be sent (waiting or held), for an incident's email. */
  waitingFor (destination: DestinationType): Promise<number>
  /** When the oldest referral still to be sent (waiting or held) was made. */
  oldestWaiting (): Promise<number | undefined>
  /** Referrals quarantined at or after `since`. */
  quarantinedSince (since: number): Promise<number>
}

/** Staff sessions, keyed by their id (stored hashed, so a copy of the database holds no usable session). */
export interface SessionStore {
  /** The data saved under `id`, or undefined when there is none or it expired before `now`. */
  get (id: string, now: number): Promise<string | undefined>
  /** Saves (or replaces) the data, expiring at `expiresAt`. */
  set (id: string, data: string, expiresAt: number): Promise<void>
  destroy (id: string): Promise<void>
  /** Deletes the sessions expired at `now`; returns how many. */
  purgeExpired (now: number): Promise<number>
}

export type AuditAction =
  | 'sign-in' | 'sign-in failed' | 'sign-out'
  | 'form saved' | 'form created' | 'form restored'
  | 'connection tested'
  | 'retry' | 'marked handled' | 'released' | 'deleted' | 'answers viewed'
  | 'account invited' | 'role changed' | 'account disabled' | 'account enabled' | 'password set' | 'reset link issued'
  | 'two-factor on' | 'two-factor off' | 'recovery code used' | 'setting changed' | 'access refused' | 'session ended'
  | 'test email' | 'alerts chosen' | 'draft discarded'

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

/** Who did what when on the staff pages. Never a password, a key or a referral's answers. */
export interface AuditStore {
  record (entry: { at: number, actor: string, action: AuditAction, subject?: string | undefined, detail?: string | undefined }): Promise<void>
  /** Newest first; only the entries of `actor` when given. */
  list (offset: number, limit: number, actor?: string): Promise<AuditEntry[]>
  count (actor?: string): Promise<number>
  /** Everyone who appears in the log, for the filter. */
  actors (): Promise<string[]>
}

export type Role = 'admin' | 'editor' | 'caseworker'

/** A member of staff. Status is derived from facts: disabled_at, then activated_at, else invited. */
export interface Account {
  id: number
  /** Lower-case; unique. */
  email: string
  name: string
  role: Role
  created_at: number
  /** When a password was first set or the first SSO sign-in happened: the invitation was taken up. */
  activated_at: number | null
  disabled_at: number | null
  last_sign_in_at: number | null
  has_password: boolean
  /** When two-factor sign-in (TOTP) was turned on; null when it is off. */
  totp_enabled_at: number | null
  /** How many unused recovery codes are left. */
  recovery_codes_left: number
}

export type AccountTokenPurpose = 'invitation' | 'reset'

/** Staff accounts and their secrets: password hashes, TOTP secrets (sealed), single-use links (hashed). */
export interface AccountStore {
  count (): Promise<number>
  /** Creates an invited account; undefined when the email is taken. */
  create (a: { email: string, name: string, role: Role, now: number }): Promise<Account | undefined>
  findById (id: number): Promise<Account | undefined>
  findByEmail (email: string): Promise<Account | undefined>
  findBySsoSubject (issuer: string, subject: string): Promise<Account | undefined>
  /** Everyone, by name. */
  list (): Promise<Account[]>
  /** The Argon2id hash, for checking a sign-in; undefined without a password. */
  passwordHash (id: number): Promise<string | undefined>
  /** Sets the password hash; activates an invited account. */
  setPassword (id: number, hash: string, now: number): Promise<void>
  setRole (id: number, role: Role): Promise<void>
  setDisabled (id: number, disabled: boolean, now: number): Promise<void>
  recordSignIn (id: number, now: number): Promise<void>
  /** Links an SSO identity (and activates an invited account). */
  linkSso (id: number, issuer: string, subject: string, now: number): Promise<void>
  /** Turns TOTP on with this secret (sealed at rest) and these recovery code hashes; null turns it off. */
  setTotp (id: number, totp: { secret: string, recoveryHashes: string[] } | null, now: number): Promise<void>
  /** The TOTP secret, opened; undefined when two-factor sign-in is off. */
  totpSecret (id: number): Promise<string | undefined>
  /**
   * Records that the code of time step `step` was used, if it is later than the last one used: false
   * for a replay (the same or an earlier step), so each code works once.
   */
  useTotpStep (id: number, step: number): Promise<boolean>
  /** Spends one recovery code by its hash; false when it is not one of the account's unused codes. */
  useRecoveryCode (id: number, hash: string): Promise<boolean>
  /** Stores a single-use link's token by its hash, replacing any unused one of the same purpose. */
  issueToken (t: { accountId: number, purpose: AccountTokenPurpose, tokenHash: string, expiresAt: number }): Promise<void>
  /** The account a token is for, if it is unused, unexpired and of this purpose; spends it when `spend`. */
  readToken (tokenHash: string, purpose: AccountTokenPurpose, now: number, spend: boolean): Promise<number | undefined>
}

/** Settings staff change on the staff pages (not environment variables). */
export interface SettingsStore {
  get (key: string): Promise<string | undefined>
  set (key: string, value: string): Promise<void>
}

export interface FormVersion { id: number, form_id: string, hash: string, replaced_at: number, replaced_by: string }

/** The texts of form files that saves replaced. */
export interface FormHistoryStore {
  /** Keeps a replaced text; returns the new version's id. */
  add (v: { formId: string, text: string, hash: string, replacedAt: number, replacedBy: string }): Promise<number>
  /** Takes back a version just added (its save failed). */
  remove (versionId: number): Promise<void>
  /** Newest first. */
  list (formId: string): Promise<FormVersion[]>
  /** Undefined when that form has no such version. */
  get (formId: string, versionId: number): Promise<(FormVersion & { text: string }) | undefined>
}

/** A form file's text kept in the database (with PostgreSQL, so that every server serves the same forms). */
export interface StoredForm { id: string, text: string, hash: string, updated_at: number, updated_by: string }

export type FormPutResult = { ok: true, versionId: number | undefined } | { ok: false }

/** The live forms' texts, where they live in the database rather than in FORMS_DIR. */
export interface FormStore {
  /** Every form, by id. */
  list (): Promise<StoredForm[]>
  get (id: string): Promise<StoredForm | undefined>
  /**
   * Saves `text` as form `id` if the stored one's hash is still `base` (undefined: there must be no form
   * of that id yet); the text it replaces goes into the form history (FormHistoryStore) in the same
   * transaction. `ok: false` when someone else saved first: then nothing changed. Every server sharing
   * the storage is told (`onChange`).
   */
  put (f: { id: string, text: string, hash: string, base: string | undefined, at: number, by: string }): Promise<FormPutResult>
  /**
   * Calls `callback` when a form may have changed, saved by this server or another (and after a lost
   * connection to the database came back). Resolves once listening: a save after that is never missed.
   * The function it resolves to stops.
   */
  onChange (callback: () => void): Promise<() => Promise<void>>
}

/**
 * A form's draft in the builder (issue 14): changes staff make that are not live until published. The
 * text is the whole form file as YAML; `base` is the hash of the live text it started from (null for a
 * form not live yet); `version` counts saves, so two people editing one draft cannot overwrite each other.
 */
export interface FormDraft { form_id: string, text: string, base: string | null, version: number, updated_at: number, updated_by: string }

export interface FormDraftStore {
  get (formId: string): Promise<FormDraft | undefined>
  /**
   * Saves the draft if its version is still `expected` (undefined: there must be no draft yet), as
   * version `expected + 1` (or 1). `ok: false`: someone else saved it first, and nothing changed.
   */
  save (d: { formId: string, text: string, base: string | null, expected: number | undefined, at: number, by: string }): Promise<{ ok: true, version: number } | { ok: false }>
  /** Deletes the draft if its version is `expected` (any version when undefined); false when it was not there or had moved on. */
  discard (formId: string, expected?: number): Promise<boolean>
  /** Every draft, by form id (its text left out). */
  list (): Promise<Array<Omit<FormDraft, 'text'>>>
}

export type AlertKind = 'failed' | 'partly_delivered' | 'incident' | 'recovered' | 'quarantined' | 'new_referral' | 'digest' | 'test' | 'confirmation'

/**
 * An email to staff that is to be sent, or was. Never personal data: the reference, the form, the CRM,
 * and `detail` (an incident's kind, a test's recipient). The email's text is made when it is sent, from
 * these and the counts at that moment.
 */
export interface Alert {
  id: number
  /**
   * Unique: the same event never makes two alerts. A key ending in `:pending` gathers events until it is
   * sent (probable spam: one email an hour); once sent or dropped it becomes `<kind>:<id>`.
   */
  key: string
  kind: AlertKind
  reference: string | null
  form_id: string | null
  destination: DestinationType | null
  detail: string | null
  created_at: number
  /** Not sent before then. */
  due_at: number
  sent_at: number | null
  attempts: number
  last_error: string | null
  /** Never to be sent (the mail server refused it for good, or it was made before email was set up); why in last_error. */
  dropped_at: number | null
}

/** A CRM that is down or refuses its keys, from the first outcome that showed it until one that went through. */
export interface CrmIncident {
  destination: DestinationType
  /** `keys`: refused or missing credentials (held); `down`: INCIDENT_AFTER_FAILURES failures in a row. */
  kind: 'keys' | 'down'
  opened_at: number
}

export interface NewAlert {
  key: string
  kind: AlertKind
  reference?: string | undefined
  formId?: string | undefined
  destination?: DestinationType | undefined
  detail?: string | undefined
  at: number
  /** Default `at`. */
  dueAt?: number
}

/** Alerts by email: written with the events that cause them, sent by the mail worker (src/alerts/sender.ts), at most once each. */
export interface AlertStore {
  /** Stores an alert unless one of that key exists (then false: nothing changes). */
  add (a: NewAlert): Promise<boolean>
  /** Leases up to `limit` alerts due at `now`, not sent nor dropped, oldest due first. */
  claimDue (now: number, leaseMs: number, limit: number): Promise<Alert[]>
  /** Recorded as sent: never sent again. */
  markSent (id: number, now: number): Promise<void>
  /** A try that failed: due again at `retryAt`, or dropped for good when `retryAt` is undefined. */
  markFailed (id: number, now: number, error: string, retryAt: number | undefined): Promise<void>
  /** Makes every unsent alert that is waiting after a failed try due at `now` (a restart tries again at once). Returns how many. */
  retryNow (now: number): Promise<number>
  /** Drops every unsent alert made before `before` (email was not set up then). Returns how many. */
  dropBefore (before: number, now: number, reason: string): Promise<number>
  /** Newest first. */
  list (offset: number, limit: number): Promise<Alert[]>
  count (): Promise<number>
  /** The last alert of this kind that was sent. */
  lastSent (kind: AlertKind): Promise<Alert | undefined>
  /** The open incidents, by destination. */
  incidents (): Promise<CrmIncident[]>
  /** When the next unsent alert falls due (leased ones left out). */
  nextDueAt (): Promise<number | undefined>
  /** Deletes alerts sent or dropped before `before`. Returns how many. */
  purge (before: number): Promise<number>
}

/** Every store, opened together, closed together. */
export interface Storage {
  submissions: SubmissionStore
  outbox: OutboxStore
  deliveries: DeliveryQueries
  sessions: SessionStore
  audit: AuditStore
  formHistory: FormHistoryStore
  accounts: AccountStore
  settings: SettingsStore
  forms: FormStore
  alerts: AlertStore
  drafts: FormDraftStore
  /**
   * Whether several servers may share this storage at once (PostgreSQL): then a lease held now may be a
   * live server's, and there is no single-server lock. False for SQLite (one server per DATA_DIR).
   */
  readonly shared: boolean
  /** What whoever runs the server should be told, found when storage opened (files others may read). */
  readonly notices: readonly string[]
  /** true when the database answers a query. */
  ping (): Promise<boolean>
  /** Idempotent. */
  close (): Promise<void>
}
