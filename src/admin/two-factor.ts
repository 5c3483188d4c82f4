/**
 * Two-factor sign-in with an authenticator app (TOTP, RFC 6238: 6 digits, 30 seconds, SHA-1, what every
 * app reads from the QR code) by `otpauth`, the QR code drawn here as SVG by `qrcode` (no third party
 * sees the secret), and ten single-use recovery codes, kept as hashes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

const PERIOD_S = 30
const ISSUER = 'Referral forms'

export const newTotpSecret = (): string => new Secret({ size: 20 }).base32

function totp (secret: string, label: string) {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret: Secret.fromBase32(secret) })
}

/** The otpauth:// address and its QR code (an SVG element) for an authenticator app. */
export async function enrolment (secret: string, label: string): Promise<{ uri: string, svg: string }> {
  const uri = totp(secret, label).toString()
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
  return { uri, svg }
}

/**
 * The time step of the code typed, if it is right now or one step either side (a phone's clock a
 * little off); undefined otherwise. The caller must refuse a step already used (a replay).
 */
export function totpStep (secret: string, code: string, now: number): number | undefined {
  const token = code.replace(/\s+/g, '')
  if (!/^\d{6}$/.test(token)) return undefined
  const delta = totp(secret, '').validate({ token, timestamp: now, window: 1 })
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD_S) + delta
}

/** The code an app shows at `now` (for tests and the enrolment check). */
export const totpCode = (secret: string, now: number): string => totp(secret, '').generate({ timestamp: now })

export const RECOVERY_CODES = 10
/** Ten codes like `k7qz-m3xp-w9ta`: typed once each when the phone is lost. */
export function newRecoveryCodes (): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  return Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(12)
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
  })
}
export const hashRecoveryCode = (code: string): string =>
  createHash('sha256').update(`recovery:${code.toLowerCase().replace(/[^a-z0-9]/g, '')}`).digest('hex')

/** A single-use link's token, and the hash it is stored under. */
export function newLinkToken (): { token: string, hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashLinkToken(token) }
}
export const hashLinkToken = (token: string): string => createHash('sha256').update(`link:${token}`).digest('hex')
