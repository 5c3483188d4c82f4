/**
 * The submission use case: what happens to a posted form, apart from HTTP. It reads the answers,
 * checks the form token, applies a no-JavaScript add/remove, checks every answer, decides whether it
 * looks like spam, maps it to its CRM's payload with a readable copy for staff, and stores it, spending
 * the token, before anything is confirmed. It returns what happened as a value; the route turns that
 * into a status and a page.
 */
import { toCrmPayload } from '../crm/payload.js'
import { asShown, confirmationAddress } from '../forms/confirm-email.js'
import type { Body } from '../forms/fields.js'
import type { LoadedForm } from '../forms/load.js'
import { readableCopy } from '../forms/readable.js'
import { applyAction, checkSubmission, readAction, readSubmission, type PageError, type RawSubmission } from '../forms/submission.js'
import { texts } from '../forms/texts.js'
import { HONEYPOT_FIELD } from '../forms/view-model.js'
import { nonceExpiresAt, type FormTokens, type TokenCheck } from '../security/form-token.js'
import type { SubmissionStore } from '../storage/index.js'

export interface IntakeDeps {
  tokens: FormTokens
  submissions: Pick<SubmissionStore, 'insertOnce'>
  /** A first-time token used sooner than this after the form was shown is probable spam (0: off). */
  minFillMs: number
  /** Email can be sent: a form that asks for it offers the visitor a confirmation email (confirm-email.ts). */
  mailOn: boolean
}

/** Why a token was refused (see TokenCheck). */
export type TokenProblem = Extract<TokenCheck, { ok: false }>['reason']

export type IntakeResult =
  /** A no-JavaScript "Add another person" or "Remove": the page again, answers kept, no errors. */
  | { outcome: 'people-changed', raw: RawSubmission, token: string }
  /** Some answers need changing (and the token may have been refused too). */
  | { outcome: 'invalid', raw: RawSubmission, token: string, errors: PageError[], tokenProblem: TokenProblem | undefined }
  /** Valid answers, but no valid form token: the page again with a fresh token, answers kept. */
  | { outcome: 'bad-token', raw: RawSubmission, token: string, tokenProblem: TokenProblem }
  /** Stored durably: to be delivered. */
  | { outcome: 'stored', reference: string }
  /** Stored durably as probable spam: looks accepted, never delivered unless staff release it. */
  | { outcome: 'quarantined', reference: string, reason: string }
  /** The token had made a referral already (a double click): nothing stored, the same reference. */
  | { outcome: 'duplicate', reference: string }

/** The spam traps: a filled honeypot, or a first-time token used faster than any person types. */
function spamReason (body: Body, check: Extract<TokenCheck, { ok: true }>, at: number, minFillMs: number): string | undefined {
  const honeypot = body[HONEYPOT_FIELD]
  if (typeof honeypot === 'string' && honeypot.trim() !== '') return 'The hidden anti-spam field was filled in'
  const elapsed = at - check.claims.issuedAt
  if (check.claims.kind === 'f' && elapsed < minFillMs) return `Sent ${elapsed} ms after the form was shown`
  return undefined
}

/**
 * `at`: now, in ms; `today`: YYYY-MM-DD in UK time (date rules, Lamplight's date_from);
 * `mayReissueUntimed`: asked before an expired token is replaced by an untimed one (per address).
 */
export async function receiveSubmission (form: LoadedForm, body: Body, at: number, today: string, deps: IntakeDeps,
  mayReissueUntimed?: () => Promise<boolean>): Promise<IntakeResult> {
  const def = form.definition
  // The form as the visitor saw it (with the confirmation email's fields, if offered); the CRM gets `def`'s fields only.
  const seen = asShown(def, deps.mailOn)
  const raw = readSubmission(seen, body)
  const { check, token } = await deps.tokens.checkForPage(body, def.id, at, mayReissueUntimed)

  const action = readAction(body)
  if (action) return { outcome: 'people-changed', raw: applyAction(seen, raw, action), token }

  const t = texts[def.language ?? 'en']
  const result = checkSubmission(seen, raw, t, today)
  if (!result.ok) return { outcome: 'invalid', raw, token, errors: result.errors, tokenProblem: check.ok ? undefined : check.reason }
  if (!check.ok) return { outcome: 'bad-token', raw, token, tokenProblem: check.reason }

  const quarantineReason = spamReason(body, check, at, deps.minFillMs)
  const stored = await deps.submissions.insertOnce({
    formId: def.id,
    formHash: form.hash,
    destination: def.destination.type,
    payload: toCrmPayload(def, result.answers, today),
    answers: readableCopy(def, result.answers, t),
    confirmTo: confirmationAddress(result.answers.fields),
  }, at, {
    nonce: check.claims.nonce,
    nonceExpiresAt: nonceExpiresAt(check.claims),
    ...(quarantineReason ? { quarantineReason } : def.alerts?.new_referrals === true && { alertNew: true }),
  })
  if (stored.duplicate) return { outcome: 'duplicate', reference: stored.reference }
  if (quarantineReason) return { outcome: 'quarantined', reference: stored.reference, reason: quarantineReason }
  return { outcome: 'stored', reference: stored.reference }
}
