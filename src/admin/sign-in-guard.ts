/**
 * What guards the sign-in form, without writing anything anywhere before a sign-in succeeds (so
 * anonymous requests cannot fill the disk):
 *
 * - **Its CSRF check** is the signed double-submit cookie (OWASP): the page carries
 *   `nonce.issuedAt.mac`, an HMAC under a key derived from SECRET_KEY, and a cookie (`rf_signin`,
 *   HttpOnly, SameSite=Strict, path /admin/sign-in) carries the nonce. A sign-in must bring both,
 *   matching, younger than SIGN_IN_TOKEN_TTL_MS. No session exists until the password is right.
 * - **A delay that grows per account** (not a lock, which anyone could trigger to keep staff out):
 *   after FREE_FAILURES wrong passwords in a row, each further try must wait 1 s, 2 s, 4 s… up to
 *   MAX_DELAY_MS after the last one; a right password starts the count again. And an overall cap on
 *   wrong passwords per hour, whatever the account or address. Kept in memory, per server: with
 *   several servers (PostgreSQL) each counts its own (README: what is per server).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SIGN_IN_COOKIE = 'rf_signin'
export const SIGN_IN_TOKEN_TTL_MS = 60 * 60 * 1000

export interface SignInTokens {
  issue (now: number): { token: string, nonce: string }
  /** Whether `token` (from the form) and `nonce` (from the cookie) belong together and are young enough. */
  verify (token: unknown, nonce: unknown, now: number): boolean
}

export function createSignInTokens (secret: string): SignInTokens {
  const mac = (data: string) => createHmac('sha256', `${secret}:sign-in-v1`).update(data).digest('base64url')
  return {
    issue (now) {
      const nonce = randomBytes(18).toString('base64url')
      const data = `${nonce}.${now}`
      return { token: `${data}.${mac(data)}`, nonce }
    },
    verify (token, nonce, now) {
      if (typeof token !== 'string' || typeof nonce !== 'string' || nonce === '') return false
      const parts = token.split('.')
      if (parts.length !== 3) return false
      const [n, at, sig] = parts as [string, string, string]
      const expected = Buffer.from(mac(`${n}.${at}`))
      const given = Buffer.from(sig)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
      const issuedAt = Number(at)
      return n === nonce && Number.isSafeInteger(issuedAt) && issuedAt <= now + 60_000 && now - issuedAt <= SIGN_IN_TOKEN_TTL_MS
    },
  }
}

/** Wrong passwords in a row an account may have before each try waits. */
export const FREE_FAILURES = 5
export const MAX_DELAY_MS = 15 * 60 * 1000
/** Wrong passwords per hour, all accounts and addresses together, before every sign-in waits. */
export const FAILURES_PER_HOUR = 100
const HOUR = 60 * 60 * 1000
/** Wrong passwords older than this are forgotten (MAX_DELAY_MS is long past by then). */
const FORGET_AFTER_MS = 24 * HOUR

export interface SignInThrottle {
  /** How long this account must wait before its next try is looked at; 0: now. */
  waitMs (account: string, now: number): number
  failed (account: string, now: number): void
  succeeded (account: string): void
}

export function createSignInThrottle (): SignInThrottle {
  const accounts = new Map<string, { failures: number, lastAt: number }>()
  let recent: number[] = []
  return {
    waitMs (account, now) {
      recent = recent.filter((t) => now - t < HOUR)
      if (recent.length >= FAILURES_PER_HOUR) return recent[0]! + HOUR - now
      const a = accounts.get(account)
      if (!a || a.failures < FREE_FAILURES) return 0
      const delay = Math.min(1000 * 2 ** (a.failures - FREE_FAILURES), MAX_DELAY_MS)
      return Math.max(0, a.lastAt + delay - now)
    },
    failed (account, now) {
      // An account quiet for a day starts again, so the map holds at most a day of names.
      for (const [name, v] of accounts) if (now - v.lastAt > FORGET_AFTER_MS) accounts.delete(name)
      const a = accounts.get(account) ?? { failures: 0, lastAt: now }
      accounts.set(account, { failures: a.failures + 1, lastAt: now })
      recent.push(now)
    },
    succeeded (account) {
      accounts.delete(account)
    },
  }
}
