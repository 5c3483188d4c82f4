/** A referral's reference: what the visitor is shown and staff look it up by. */
import { randomInt } from 'node:crypto'

/** 31 characters: no 0/O, 1/I/L, so a reference read out on the phone is not misheard. */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const REFERENCE_PATTERN = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/

export function newReference (): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]
  return s
}

/** The reference as staff may type it (any case), or undefined when it cannot be one. */
export function readReference (typed: string): string | undefined {
  const reference = typed.toUpperCase()
  return REFERENCE_PATTERN.test(reference) ? reference : undefined
}
