/**
 * The staff pages' domain pieces on their own: the SQLite session store (idle expiry, ids kept only
 * as hashes), the password comparison, and the numbered listing of a form file with its problems.
 */
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { numberedLines } from '../../src/admin/form-editor.js'
import { createSessionStore, hashSessionId } from '../../src/admin/session-store.js'
import { migrate } from '../../src/outbox/migrations.js'
import { passwordMatches } from '../../src/routes/admin/sign-in.js'

function memoryDb (): Database.Database {
  const db = new Database(':memory:')
  migrate(db)
  return db
}

const get = (store: ReturnType<typeof createSessionStore>, id: string) =>
  new Promise<unknown>((resolve, reject) => store.get(id, (err, s) => (err ? reject(err) : resolve(s))))
const set = (store: ReturnType<typeof createSessionStore>, id: string, s: Record<string, unknown>) =>
  new Promise<void>((resolve, reject) => store.set(id, s, (err) => (err ? reject(err) : resolve())))

describe('the session store', () => {
  it('returns a saved session until it has been idle for longer than the limit, then forgets it', async () => {
    const db = memoryDb()
    let now = 1_000_000
    const store = createSessionStore(db, { idleMs: 60_000, now: () => now })
    await set(store, 'abc', { signedIn: true })
    now += 59_000
    expect(await get(store, 'abc')).toEqual({ signedIn: true })
    await set(store, 'abc', { signedIn: true }) // a request saves it again: the clock restarts
    now += 59_000
    expect(await get(store, 'abc')).toEqual({ signedIn: true })
    now += 2_000
    expect(await get(store, 'abc')).toBeNull()
    now += 120_000
    expect(store.purgeExpired()).toBe(1)
  })

  it('keeps only a hash of the session id, and forgets a destroyed session', async () => {
    const db = memoryDb()
    const store = createSessionStore(db, { now: () => 0 })
    await set(store, 'the-session-id', { signedIn: true })
    expect(db.prepare('SELECT id_hash FROM admin_sessions').all()).toEqual([{ id_hash: hashSessionId('the-session-id') }])
    expect(JSON.stringify(db.prepare('SELECT * FROM admin_sessions').all())).not.toContain('the-session-id')
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
