/**
 * Random bytes drawn from the CSPRNG 4 KB at a time and handed out in slices, each byte once. On a busy
 * server a call into OpenSSL per value (a form token's nonce, a sealed value's IV) cost more than the
 * use it was put to (docs/performance.md); a slice of a pool costs a subarray.
 */
import { randomBytes } from 'node:crypto'

const POOL_BYTES = 4080

export function createRandomPool (): (bytes: number) => Buffer {
  let pool = Buffer.alloc(0)
  let used = 0
  return (bytes) => {
    if (used + bytes > pool.length) {
      pool = randomBytes(Math.max(POOL_BYTES, bytes))
      used = 0
    }
    used += bytes
    return pool.subarray(used - bytes, used)
  }
}
