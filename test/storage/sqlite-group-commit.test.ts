/**
 * Group commit (ADR 0005, src/storage/sqlite/group-commit.ts): what the speed-ups must not change. A visitor
 * is answered only after the fsync that covers their submission; fsyncs are paced under load but one
 * after a quiet spell starts at once; a batch stores each submission once, and one failing insert
 * fails only its own request. Also the sealer the batch uses.
 */
import { open } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createSealer } from '../../src/security/encryption.js'
import { openStorage, type NewSubmission, type Storage } from '../../src/storage/index.js'
import { createFlusher, createInsertBatch } from '../../src/storage/sqlite/group-commit.js'
import { DATABASE_FILE } from '../../src/storage/sqlite/index.js'
import { tempDir } from '../helpers/app.js'
import { sqliteOf } from '../helpers/sqlite.js'

const SECRET = 'group-commit-test-secret-0123456789abcdef'

function submission (n: number): NewSubmission {
  return {
    formId: 'carers-referral',
    formHash: 'hash',
    destination: 'charitylog',
    payload: { destination: 'charitylog', people: [{ first_name: `Person ${n}` }] },
    answers: [{ heading: 'You', items: [{ label: 'First name', answer: `Person ${n}` }] }],
  }
}

describe('the flusher (one fsync at a time, paced)', () => {
  const stores: Storage[] = []
  let restore: (() => void) | undefined
  afterEach(async () => {
    restore?.()
    for (const s of stores.splice(0)) await s.close()
  })

  /**
   * A flusher over a real WAL file whose fsyncs (FileHandle.sync) are recorded and each held for
   * `holdMs`, so a test can see what waited for what.
   */
  async function recordingFlusher (minGapMs: number, holdMs = 30) {
    const dir = tempDir()
    const store = await openStorage({ dataDir: dir, secret: SECRET })
    stores.push(store)
    await store.submissions.insertMany([submission(0)], Date.now()) // the -wal file exists from here
    const file = path.join(dir, `${DATABASE_FILE}-wal`)
    const probe = await open(file, 'r')
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
    await probe.close()
    const original = proto.sync
    const events: string[] = []
    const starts: number[] = []
    let n = 0
    proto.sync = async function (this: unknown) {
      const i = ++n
      events.push(`sync ${i} start`)
      starts.push(performance.now())
      await original.call(this)
      await new Promise((resolve) => setTimeout(resolve, holdMs))
      events.push(`sync ${i} end`)
    }
    restore = () => { proto.sync = original }
    return { flusher: createFlusher(file, minGapMs), events, starts }
  }

  it('answers a flush only after an fsync that began after it was asked for, shared by those waiting', async () => {
    const { flusher, events } = await recordingFlusher(0)
    const a = flusher.flush().then(() => events.push('a answered')) // nothing running: a's fsync begins at once
    const b = flusher.flush().then(() => events.push('b answered')) // after a's began: waits for the next
    await new Promise((resolve) => setTimeout(resolve, 5))
    const c = flusher.flush().then(() => events.push('c answered')) // a's still running: shares b's
    await Promise.all([a, b, c])
    // sync 1 is the folder's (first flush only), sync 2 the WAL's for a, sync 3 the WAL's for b and c.
    expect(events).toEqual([
      'sync 1 start', 'sync 1 end', 'sync 2 start', 'sync 2 end', 'a answered',
      'sync 3 start', 'sync 3 end', 'b answered', 'c answered',
    ])
  })

  it('starts at once after a quiet spell, and waits out the gap when the last fsync began moments ago', async () => {
    const { flusher, starts } = await recordingFlusher(1000, 0)
    await flusher.flush() // opens the file; its fsyncs began just now
    await new Promise((resolve) => setTimeout(resolve, 1100)) // a quiet spell longer than the gap
    let asked = performance.now()
    await flusher.flush()
    const afterQuiet = starts.at(-1)! - asked
    asked = performance.now()
    await flusher.flush()
    const paced = starts.at(-1)! - asked
    // Wide margins: only the order of magnitude is the behaviour (at once, or after about a second).
    expect(afterQuiet).toBeLessThan(500)
    expect(paced).toBeGreaterThanOrEqual(900)
  })
})

describe('a batch of submissions', () => {
  const stores: Storage[] = []
  afterEach(async () => { for (const s of stores.splice(0)) await s.close() })
  const opened = async (dir = tempDir()) => {
    const store = await openStorage({ dataDir: dir, secret: SECRET })
    stores.push(store)
    return store
  }

  it('stores every submission of one turn in one transaction, each with its own reference', async () => {
    const dir = tempDir()
    const store = await opened(dir)
    const now = Date.now()
    const results = await Promise.all(Array.from({ length: 25 }, (_, n) =>
      store.submissions.insertOnce(submission(n), now, { nonce: `nonce-${n}`, nonceExpiresAt: now + 60_000 })))
    expect(new Set(results.map((r) => r.reference)).size).toBe(25)
    expect(results.every((r) => !r.duplicate)).toBe(true)
    expect((sqliteOf(dir).prepare('SELECT count(*) AS n FROM submissions').get() as { n: number }).n).toBe(25)
    for (const [n, r] of results.entries()) {
      expect((await store.submissions.readPersonalData(r.reference))?.answers[0]?.items[0]?.answer).toBe(`Person ${n}`)
    }
  })

  it('stores a token used twice in the same batch once: the second gets the first one\'s reference', async () => {
    const dir = tempDir()
    const store = await opened(dir)
    const now = Date.now()
    const [first, second] = await Promise.all([0, 1].map((n) =>
      store.submissions.insertOnce(submission(n), now, { nonce: 'same-nonce', nonceExpiresAt: now + 60_000 })))
    expect(first).toEqual({ reference: first!.reference, duplicate: false })
    expect(second).toEqual({ reference: first!.reference, duplicate: true })
    expect((sqliteOf(dir).prepare('SELECT count(*) AS n FROM submissions').get() as { n: number }).n).toBe(1)
  })

  it('fails only the request whose insert failed, and stores the others of its batch', async () => {
    const dir = tempDir()
    await opened(dir)
    const db = new Database(path.join(dir, DATABASE_FILE))
    const insert = db.prepare('INSERT INTO used_tokens (nonce, reference, expires_at) VALUES (?, ?, ?)')
    let calls = 0
    const batch = createInsertBatch(db,
      (s, now, opts) => { calls++; if (opts.nonce === 'bad') throw new Error('disk on fire'); insert.run(opts.nonce, s.formId, now); return { reference: opts.nonce!, duplicate: false } },
      (s, now, opts) => db.transaction(() => { if (opts.nonce === 'bad') throw new Error('disk on fire'); insert.run(opts.nonce, s.formId, now); return { reference: opts.nonce!, duplicate: false } })(),
      async () => {})
    const now = Date.now()
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((nonce) => batch.add({ s: submission(0), now, opts: { nonce } })))
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('disk on fire'))
    // Tried together first (rolled back at the failure), then one by one.
    expect(calls).toBe(2)
    expect((db.prepare('SELECT nonce FROM used_tokens ORDER BY nonce').all() as Array<{ nonce: string }>).map((r) => r.nonce)).toEqual(['a', 'c'])
    db.close()
  })
})

describe('the sealer', () => {
  const sealer = createSealer(SECRET)

  it('opens what it sealed, only with the same context, and never repeats an IV', () => {
    const sealed = Array.from({ length: 1000 }, (_, n) => sealer.seal(`answer ${n} — ŵ`, 'REF12345'))
    expect(sealer.open(sealed[7]!, 'REF12345')).toBe('answer 7 — ŵ')
    expect(() => sealer.open(sealed[7]!, 'OTHERREF')).toThrow()
    const ivs = new Set(sealed.map((b) => b.subarray(1, 13).toString('hex')))
    expect(ivs.size).toBe(1000)
  })

  it('refuses a value changed in any byte', () => {
    const sealed = sealer.seal('Morgan Jones', 'REF12345')
    for (let i = 0; i < sealed.length; i++) {
      const changed = Buffer.from(sealed)
      changed[i] = changed[i]! ^ 1
      expect(() => sealer.open(changed, 'REF12345')).toThrow()
    }
  })
})
