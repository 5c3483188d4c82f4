/**
 * What the forms side hands to the relay, and what a CRM adapter promises.
 *
 * A submission is mapped to its CRM payload when it is accepted (src/crm/charitylog-payload.ts,
 * src/crm/lamplight-payload.ts) and stored that way, so a later edit of the form file cannot change a
 * queued referral. The adapters send a stored payload as it is.
 */

/** One person of a Charitylog external referral: client attributes, IDs as numbers or strings. */
export type CharitylogPerson = Record<string, string | number | Record<string, number>>

/** The body of one `PUT /external_referral`: the array of people, in the order they are sent. */
export interface CharitylogPayload {
  destination: 'charitylog'
  people: CharitylogPerson[]
}

/** A Lamplight profile to create with `people/add` (role goes in the body with the fields). */
export interface LamplightProfile {
  role: 'user' | 'contact'
  fields: Record<string, string>
}

/**
 * A Lamplight referral: the attendee profile, an optional referrer profile (absent: the attendee
 * referred themselves, and `referrer` is the attendee's own ID), then `referral/add` with `referral`
 * plus `attendee` and `referrer` set to the profile IDs created. Values are already free of `<` and `>`.
 */
export interface LamplightPayload {
  destination: 'lamplight'
  attendee: LamplightProfile
  referrer?: LamplightProfile
  referral: Record<string, string | number>
}

export type CrmPayload = CharitylogPayload | LamplightPayload
export type DestinationType = CrmPayload['destination']

/** Charitylog's three API keys (sent as headers). */
export interface CharitylogCredentials { sourceKey: string, orgKey: string, userKey: string }
/** Lamplight's API credentials (sent in the query string). */
export interface LamplightCredentials { key: string, lampid: string, project: string }

/** One CRM's settings from the environment: credentials when all are set, else the variables missing. */
export interface CrmSettings<C> { apiUrl: string, credentials: C | undefined, missing: string[] }
export interface CrmConfig {
  charitylog: CrmSettings<CharitylogCredentials>
  lamplight: CrmSettings<LamplightCredentials>
}

/**
 * What one delivery attempt came to. Adapters never throw for anything a CRM or the network can do;
 * they return one of these (an exception from an adapter is a bug, and the worker treats it as `retry`).
 *
 * - `delivered`: the CRM has the referral. `crmIds` are the record IDs it returned; `raw` its body.
 * - `partly_delivered`: Lamplight 1058: core details saved, custom fields not. Staff must finish it.
 * - `retry`: temporary (network error, timeout, 408, 429, 5xx). Try again later.
 * - `held`: a configuration problem (401/403, Lamplight permission codes): waits for staff, burns no attempt.
 * - `rejected`: the CRM refused the data (other 4xx, Lamplight data codes). Failed at once.
 */
export type DeliveryOutcome =
  | { kind: 'delivered', crmIds: Record<string, string | number>, raw?: string }
  | { kind: 'partly_delivered', crmIds: Record<string, string | number>, reason: string, raw?: string }
  | { kind: 'retry', reason: string }
  | { kind: 'held', reason: string }
  | { kind: 'rejected', reason: string }

/**
 * Progress a multi-step delivery records as it goes, so a retry resumes instead of repeating a step
 * (Lamplight: the profile IDs created so far). Saved durably by `save` before the next step starts.
 */
export interface DeliveryProgress {
  readonly ids: Readonly<Record<string, string | number>>
  save (key: string, id: string | number): Promise<void> | void
}

export interface CrmAdapter {
  readonly destination: DestinationType
  /** Sends one stored payload. Safe to call again after any outcome but `delivered`. */
  deliver (payload: CrmPayload, progress: DeliveryProgress): Promise<DeliveryOutcome>
}
