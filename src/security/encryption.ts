/**
 * Personal data at rest: AES-256-GCM with a key derived from SECRET_KEY by HKDF, one random IV per
 * value, and associated data (the submission's reference) binding each value to its row, so a blob
 * copied onto another row does not decrypt. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import { createRandomPool } from './random-pool.js'

const VERSION = 1

export interface Sealer {
  seal (plaintext: string, context: string): Buffer
  /** Throws if the value was changed or sealed with another key or context. */
  open (sealed: Buffer, context: string): string
}

export function deriveKey (secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'referral-forms', purpose, 32))
}

const IV_BYTES = 12
/** Random 96-bit IVs, from a pool (random-pool.ts); far inside GCM's limit for one key (2^32 values). */
const randomIv = createRandomPool()

export function createSealer (secret: string): Sealer {
  const key = deriveKey(secret, 'data-at-rest-v1')
  return {
    seal (plaintext, context) {
      const iv = randomIv(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = cipher.update(plaintext, 'utf8')
      const last = cipher.final()
      const out = Buffer.allocUnsafe(1 + IV_BYTES + 16 + body.length + last.length)
      out[0] = VERSION
      iv.copy(out, 1)
      cipher.getAuthTag().copy(out, 1 + IV_BYTES)
      body.copy(out, 1 + IV_BYTES + 16)
      last.copy(out, 1 + IV_BYTES + 16 + body.length)
      return out
    },
    open (sealed, context) {
      if (sealed[0] !== VERSION) throw new Error('Unknown encryption version')
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(sealed.subarray(13, 29))
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8')
    },
  }
}
