/**
 * The staff pages' domain pieces on their own: the session store as @fastify/session calls it (idle
 * expiry moved on by every save), the password comparison, and the numbered listing of a form file.
 * What the sessions table holds is the storage contract's and SQLite's own (test/storage).
 */
import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { numberedLines } from '../../src/admin/form-editor.js'
import { createSessionStore } from '../../src/admin/session-store.js'
import { createSignInThrottle, createSignInTokens, FAILURES_PER_HOUR, FREE_FAILURES, MAX_DELAY_MS, SIGN_IN_TOKEN_TTL_MS } from '../../src/admin/sign-in-guard.js'
import { passwordMatches } from '../../src/routes/admin/sign-in.js'
import { openStorage, type Storage } from '../../src/storage/index.js'
import { tempDir } from '../helpers/app.js'

const opened: Array<{ storage: Storage, dir: string }> = []
afterEach(async () => {
  for (const { storage, dir } of opened.splice(0)) {
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
async function sessions () {
  const dir = tempDir()
  const storage = await openStorage({ dataDir: dir, secret: 'a-test-secret-of-at-least-32-characters!' })
  opened.push({ storage, dir })
  return storage.sessions
}

type Store = ReturnType<typeof createSessionStore<Record<string, unknown>>>
const get = (store: Store, id: string) =>
  new Promise<unknown>((resolve, reject) => store.get(id, (err, s) => (err ? reject(err) : resolve(s))))
const set = (store: Store, id: string, s: Record<string, unknown>) =>
  new Promise<void>((resolve, reject) => store.set(id, s, (err) => (err ? reject(err) : resolve())))

describe('the session store', () => {
  it('returns a saved session until it has been idle for longer than the limit, then forgets it', async () => {
    const kept = await sessions()
    let now = 1_000_000
    const store = createSessionStore<Record<string, unknown>>(kept, { idleMs: 60_000, now: () => now })
    await set(store, 'abc', { signedIn: true })
    now += 59_000
    expect(await get(store, 'abc')).toEqual({ signedIn: true })
    await set(store, 'abc', { signedIn: true }) // a request saves it again: the clock restarts
    now += 59_000
    expect(await get(store, 'abc')).toEqual({ signedIn: true })
    now += 2_000
    expect(await get(store, 'abc')).toBeNull()
    now += 120_000
    expect(await kept.purgeExpired(now)).toBe(1)
  })

  it('forgets a destroyed session', async () => {
    const store = createSessionStore<Record<string, unknown>>(await sessions(), { now: () => 0 })
    await set(store, 'the-session-id', { signedIn: true })
    await new Promise<void>((resolve) => store.destroy('the-session-id', () => resolve()))
    expect(await get(store, 'the-session-id')).toBeNull()
  })
})

describe('the password check', () => {
  it('accepts only the exact password, whatever the lengths', () => {
    expect(passwordMatches('s3cret phrase', 's3cret phrase')).toBe(true)
    expect(passwordMatches('s3cret phrase ', 's3cret phrase')).toBe(false)
    expect(passwordMatches('S3cret phrase', 's3cret phrase')).toBe(false)
    expect(passwordMatches('', 's3cret phrase')).toBe(false)
    expect(passwordMatches('x'.repeat(10_000), 's3cret phrase')).toBe(false)
  })
})

describe('the numbered listing', () => {
  it('numbers every line and puts each problem on its line (past the end: on the last line)', () => {
    const lines = numberedLines('a: 1\r\nb: 2\n', [
      { file: 'f.yaml', path: 'b', line: 2, message: 'is wrong' },
      { file: 'f.yaml', path: '', line: 9, message: 'ends too soon' },
      { file: 'f.yaml', path: 'x', line: undefined, message: 'no line' },
    ])
    expect(lines).toEqual([
      { number: 1, text: 'a: 1', problems: [] },
      { number: 2, text: 'b: 2', problems: ['b: is wrong', 'ends too soon'] },
    ])
  })
})

describe('the sign-in guard', () => {
  it('accepts a form token only with its own cookie, for an hour', () => {
    const tokens = createSignInTokens('a-session-secret-of-at-least-32-characters')
    const a = tokens.issue(1_000_000)
    const b = tokens.issue(1_000_000)
    expect(tokens.verify(a.token, a.nonce, 1_000_000 + 60_000)).toBe(true)
    expect(tokens.verify(a.token, b.nonce, 1_000_000)).toBe(false)
    expect(tokens.verify(a.token, undefined, 1_000_000)).toBe(false)
    expect(tokens.verify(a.token, a.nonce, 1_000_000 + SIGN_IN_TOKEN_TTL_MS + 1)).toBe(false)
    expect(tokens.verify(a.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), a.nonce, 1_000_000)).toBe(false)
    expect(createSignInTokens('another-secret-of-at-least-32-characters!').verify(a.token, a.nonce, 1_000_000)).toBe(false)
  })

  it('delays an account after five wrong passwords, doubling up to 15 minutes, and forgets them on a right one', () => {
    const throttle = createSignInThrottle()
    let now = 0
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect(throttle.waitMs('a', now)).toBe(0)
      throttle.failed('a', now)
    }
    expect(throttle.waitMs('a', now)).toBe(1000)
    expect(throttle.waitMs('b', now)).toBe(0)
    for (let i = 0; i < 20; i++) {
      now += throttle.waitMs('a', now)
      throttle.failed('a', now)
    }
    expect(throttle.waitMs('a', now)).toBe(MAX_DELAY_MS)
    throttle.succeeded('a')
    expect(throttle.waitMs('a', now)).toBe(0)
  })

  it('makes every account wait once there have been 100 wrong passwords in an hour, until the oldest is an hour old', () => {
    const throttle = createSignInThrottle()
    for (let i = 0; i < FAILURES_PER_HOUR; i++) throttle.failed(`account-${i}`, i * 1000)
    expect(throttle.waitMs('someone-new', 100_000)).toBe(60 * 60 * 1000 - 100_000)
    expect(throttle.waitMs('someone-new', 60 * 60 * 1000)).toBe(0)
  })
})
