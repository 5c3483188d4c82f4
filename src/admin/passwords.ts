/**
 * Staff passwords, as the NCSC advises: at least 12 characters, no composition rules, refused when it is
 * a common or breached password (the 49,000 of @zxcvbn-ts/language-common's list, shipped with the
 * product, and the easy variations of them), hashed with Argon2id (@node-rs/argon2, its defaults:
 * 19 MiB, 2 passes, as OWASP recommends).
 */
import { hash, verify } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'

export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 256

let common: Set<string> | undefined
const commonPasswords = () => (common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase())))

/** Why a new password will not do, in plain words; undefined when it will. */
export function passwordProblem (password: string, about: { email: string, name: string }): string | undefined {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return `Enter a password of at least ${MIN_PASSWORD_LENGTH} characters: a few words you will remember make a good one`
  if (length > MAX_PASSWORD_LENGTH) return `Enter a password of at most ${MAX_PASSWORD_LENGTH} characters`
  const plain = password.toLowerCase()
  // The password itself, or one with digits or symbols stuck on, or the same word twice.
  const core = plain.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '')
  const half = plain.length % 2 === 0 ? plain.slice(0, plain.length / 2) : ''
  if (commonPasswords().has(plain) || (core.length >= 4 && commonPasswords().has(core)) || (half !== '' && half + half === plain && commonPasswords().has(half))) {
    return 'That password is one of the most common ones, which are tried first: choose another'
  }
  if (new Set(plain).size <= 2) return 'That password is too easy to guess: choose another'
  const local = about.email.split('@')[0]!.toLowerCase()
  if ((local.length >= 4 && plain.includes(local)) || plain.includes(about.name.toLowerCase().replace(/\s+/g, '')) || plain === about.email.toLowerCase()) {
    return 'That password contains your name or email address: choose another'
  }
  return undefined
}

export const hashPassword = (password: string): Promise<string> => hash(password)

/** A hash of a password nobody has, checked when the email is unknown, so the answer takes as long. */
let dummy: Promise<string> | undefined
export async function passwordMatchesHash (password: string, stored: string | undefined): Promise<boolean> {
  const h = stored ?? await (dummy ??= hash(`no account ${Math.random()}`))
  try {
    return await verify(h, password) && stored !== undefined
  } catch {
    return false
  }
}
