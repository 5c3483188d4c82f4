/**
 * The group-commit machinery of the store (ADR 0005): one fsync of the WAL at a time in the thread
 * pool, shared by every commit made while the previous one ran, and a batch of the submissions asked
 * for in one turn of the event loop, answered only after the fsync that covers them.
 */
import { open as open_, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type Database from 'better-sqlite3'
import type { InsertOptions, InsertResult, NewSubmission } from '../types.js'

/** The least time between the starts of two fsyncs (see createFlusher). */
export const FSYNC_MIN_GAP_MS = 2

/**
 * Group commit: `flush()` resolves once everything written to `file` before the call is on disk. One
 * fsync runs at a time, in libuv's thread pool (the event loop goes on serving); the calls made while
 * it runs may have committed after it started, so they share the next one. The first flush also
 * fsyncs the folder, so the WAL file itself survives a power cut. The file is opened once: SQLite
 * keeps the same -wal file while any connection is open, and the store's connections stay open until
 * `close` (which closes this handle too).
 *
 * Under load the fsyncs are paced, at least `minGapMs` apart (PostgreSQL's commit_delay): each one
 * costs the kernel about as much CPU whether it covers one submission or ten, and on a small machine
 * that CPU is taken from the visitors. A flush after a quiet spell starts at once.
 */
export function createFlusher (file: string, minGapMs = FSYNC_MIN_GAP_MS): { flush: () => Promise<void>, close: () => void } {
  let running: Promise<void> | undefined
  /** The next fsync, not begun yet: every flush asked for until it begins shares it. */
  let open: { promise: Promise<void> } | undefined
  let handle: Promise<FileHandle> | undefined
  let startedAt = Number.NEGATIVE_INFINITY

  async function openFile (): Promise<FileHandle> {
    const h = await open_(file, 'r+')
    const folder = await open_(path.dirname(file), 'r')
    try { await folder.sync() } finally { await folder.close() }
    return h
  }
  async function fsyncOnce (): Promise<void> {
    handle ??= openFile()
    let h: FileHandle
    try {
      h = await handle
    } catch (err) {
      handle = undefined
      throw err
    }
    await h.sync()
  }
  return {
    flush () {
      if (open) return open.promise
      const batch = { promise: Promise.resolve() }
      open = batch
      batch.promise = (async () => {
        if (running) await running.then(() => {}, () => {})
        const gap = startedAt + minGapMs - performance.now()
        if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap))
        // From here on, a write needs the next fsync: this one may already have begun.
        if (open === batch) open = undefined
        startedAt = performance.now()
        const p = fsyncOnce()
        running = p
        try {
          await p
        } finally {
          if (running === p) running = undefined
        }
      })()
      return batch.promise
    },
    close () {
      // After the fsyncs in flight or waiting: closing under them would fail them.
      const h = handle
      if (h) void Promise.allSettled([running, open?.promise]).then(async () => (await h).close()).catch(() => {})
    },
  }
}

export interface PendingInsert { s: NewSubmission, now: number, opts: InsertOptions }

/**
 * Group commit of submissions: the inserts asked for during one turn of the event loop are made in ONE
 * transaction, then one flush makes them all durable, then each request gets its answer. One
 * transaction writes each page of the table and its indexes once for the whole batch, instead of once
 * per submission.
 *
 * `insertIn` runs inside the batch's transaction as it is; should one insert fail (it should not: a
 * spent nonce is an answer, not an error), the whole batch is rolled back and made again with each
 * insert in a savepoint of its own (`insertAlone`, a nested transaction), so that one failure fails
 * only its own request. Savepoints for every insert would cost a sixth of storing one.
 */
export function createInsertBatch (db: Database.Database,
  insertIn: (s: NewSubmission, now: number, opts: InsertOptions) => InsertResult,
  insertAlone: (s: NewSubmission, now: number, opts: InsertOptions) => InsertResult,
  flush: () => Promise<void>) {
  type Settle = { resolve: (r: InsertResult) => void, reject: (e: unknown) => void }
  type Outcome = { ok: true, result: InsertResult } | { ok: false, error: unknown }
  let queue: Array<PendingInsert & Settle> = []
  const commitTogether = db.transaction((items: PendingInsert[]): Outcome[] =>
    items.map((i) => ({ ok: true as const, result: insertIn(i.s, i.now, i.opts) })))
  const commitEach = db.transaction((items: PendingInsert[]): Outcome[] => items.map((i) => {
    try {
      return { ok: true as const, result: insertAlone(i.s, i.now, i.opts) }
    } catch (error) {
      return { ok: false as const, error }
    }
  }))

  function commit () {
    const items = queue
    queue = []
    let outcomes: Outcome[]
    try {
      try {
        outcomes = commitTogether(items)
      } catch {
        outcomes = commitEach(items)
      }
    } catch (error) {
      for (const i of items) i.reject(error)
      return
    }
    flush().then(
      () => outcomes.forEach((o, n) => o.ok ? items[n]!.resolve(o.result) : items[n]!.reject(o.error)),
      (error: unknown) => { for (const i of items) i.reject(error) }
    )
  }

  return {
    add (p: PendingInsert): Promise<InsertResult> {
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(commit)
        queue.push({ ...p, resolve, reject })
      })
    },
  }
}
