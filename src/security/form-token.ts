/**
 * Form tokens without cookies. Each rendered form carries `v1.<form>.<issuedAt>.<kind>.<nonce>.<mac>`,
 * an HMAC-SHA256 (key derived from SECRET_KEY) over everything before the mac. A submission needs a
 * valid token for its own form, younger than TOKEN_TTL_MS; its nonce is spent when the referral is
 * stored (SubmissionStore.insertOnce, src/storage), so a token makes at most one referral.
 *
 * Why not a CSRF cookie: in a cross-site iframe, Safari (and now Chrome) block third-party cookies, and
 * a cookie-based check then refuses every visitor. A token in the page needs no cookie at all.
 *
 * `kind` is `f` for a token issued with a fresh form, `r` for one re-issued after an expired token
 * (the visitor's answers were typed long ago, so the minimum fill time does not apply to it).
 * A valid token goes back into the page unchanged (its nonce is spent only when a referral is stored);
 * a refused one is replaced, so pressing the button again works (`checkForPage`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { deriveKey } from './encryption.js'
import { createRandomPool } from './random-pool.js'

export const TOKEN_TTL_MS = 4 * 60 * 60 * 1000
/** The form field that carries the token. */
export const TOKEN_FIELD = '_token'

export type TokenKind = 'f' | 'r'
export interface TokenClaims { formId: string, issuedAt: number, kind: TokenKind, nonce: string }
export type TokenCheck =
  | { ok: true, claims: TokenClaims }
  | { ok: false, reason: 'missing' | 'invalid' | 'other-form' | 'expired', claims?: TokenClaims }

export interface FormTokens {
  issue (formId: string, now: number, kind?: TokenKind): string
  verify (token: string | undefined, formId: string, now: number): TokenCheck
  /**
   * Checks the token a posted body carries, and gives the token the page shown back must carry.
   * `mayReissueUntimed` is asked before an untimed token is given (it counts them per address).
   */
  checkForPage (body: Readonly<Record<string, unknown>>, formId: string, now: number, mayReissueUntimed?: () => Promise<boolean>): Promise<{ check: TokenCheck, token: string }>
}

/** When a spent nonce may be forgotten: once its token could no longer be used anyway. */
export const nonceExpiresAt = (claims: TokenClaims) => claims.issuedAt + TOKEN_TTL_MS

/**
 * Whether a refused token may be replaced by an untimed one (`r`): only a timed token (`f`) that is
 * genuine and expired, whose answers were typed long ago. Anything else (an expired `r` token, a
 * forged one) gets a fresh `f`, timed like a new form, so an old token is no way round the time trap.
 */
function mayBeUntimed (check: TokenCheck): boolean {
  return !check.ok && check.reason === 'expired' && check.claims?.kind === 'f'
}

/** The nonces' random bytes, from a pool (random-pool.ts). */
const NONCE_BYTES = 12
const randomNonce = createRandomPool()
const nonce = () => randomNonce(NONCE_BYTES).toString('base64url')

export function createFormTokens (secret: string): FormTokens {
  const key = deriveKey(secret, 'form-token-v1')
  const mac = (data: string) => createHmac('sha256', key).update(data).digest('base64url')
  const tokens: FormTokens = {
    issue (formId, now, kind = 'f') {
      const data = `v1.${formId}.${now}.${kind}.${nonce()}`
      return `${data}.${mac(data)}`
    },
    async checkForPage (body, formId, now, mayReissueUntimed) {
      const given = typeof body[TOKEN_FIELD] === 'string' ? body[TOKEN_FIELD] : undefined
      const check = tokens.verify(given, formId, now)
      if (check.ok && given !== undefined) return { check, token: given }
      const untimed = mayBeUntimed(check) && (mayReissueUntimed === undefined || await mayReissueUntimed())
      return { check, token: tokens.issue(formId, now, untimed ? 'r' : 'f') }
    },
    verify (token, formId, now) {
      if (!token) return { ok: false, reason: 'missing' }
      const parts = token.split('.')
      if (parts.length !== 6 || parts[0] !== 'v1') return { ok: false, reason: 'invalid' }
      const [, form, issued, kind, nonce, sig] = parts as [string, string, string, string, string, string]
      const expected = Buffer.from(mac(token.slice(0, token.length - sig.length - 1)))
      const given = Buffer.from(sig)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' }
      if (kind !== 'f' && kind !== 'r') return { ok: false, reason: 'invalid' }
      const claims: TokenClaims = { formId: form, issuedAt: Number(issued), kind, nonce }
      if (form !== formId) return { ok: false, reason: 'other-form', claims }
      if (!Number.isSafeInteger(claims.issuedAt) || claims.issuedAt > now + 60_000) return { ok: false, reason: 'invalid' }
      if (now - claims.issuedAt > TOKEN_TTL_MS) return { ok: false, reason: 'expired', claims }
      return { ok: true, claims }
    },
  }
  return tokens
}
