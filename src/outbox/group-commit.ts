/**
 * The group-commit machinery of the store (ADR 0005): one fsync of the WAL at a time in the thread
 * pool, shared by every commit made while the previous one ran, and a batch of the submissions asked
 * for in one turn of the event loop, answered only after the fsync that covers them.
 */
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type Database from 'better-sqlite3'
import type { InsertOptions, InsertResult, NewSubmission } from './sqlite-store.js'

/**
 * Group commit: `flush()` resolves once everything written to `file` before the call is on disk. One
 * fsync runs at a time, in libuv's thread pool (the event loop goes on serving); the calls made while
 * it runs may have committed after it started, so they share the next one. The first flush also
 * fsyncs the folder, so the WAL file itself survives a power cut. The file is opened once: SQLite
 * keeps the same -wal file while any connection is open, and the store's connections stay open until
 * `close` (which closes this handle too).
 */
export function createFlusher (file: string): { flush: () => Promise<void>, close: () => void } {
  let running: Promise<void> | undefined
  let next: Promise<void> | undefined
  let handle: Promise<FileHandle> | undefined

  async function openFile (): Promise<FileHandle> {
    const h = await open(file, 'r+')
    const folder = await open(path.dirname(file), 'r')
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
  function start (): Promise<void> {
    const p: Promise<void> = fsyncOnce().finally(() => { if (running === p) running = undefined })
    running = p
    return p
  }
  return {
    flush () {
      if (running === undefined) return start()
      next ??= running.then(() => {}, () => {}).then(() => {
        next = undefined
        return start()
      })
      return next
    },
    close () {
      // After the fsyncs in flight: closing under them would fail them.
      const h = handle
      if (h) void Promise.allSettled([running, next]).then(async () => (await h).close()).catch(() => {})
    },
  }
}

export interface PendingInsert { s: NewSubmission, now: number, opts: InsertOptions }

/**
 * Group commit of submissions: the inserts asked for during one turn of the event loop are made in ONE
 * transaction (each in a savepoint of its own, so one failure fails only its request), then one flush
 * makes them all durable, then each request gets its answer. One transaction writes each page of the
 * table and its indexes once for the whole batch, instead of once per submission.
 */
export function createInsertBatch (db: Database.Database, insertOnce: (s: NewSubmission, now: number, opts: InsertOptions) => InsertResult,
  flush: () => Promise<void>) {
  type Settle = { resolve: (r: InsertResult) => void, reject: (e: unknown) => void }
  let queue: Array<PendingInsert & Settle> = []
  const commitAll = db.transaction((items: PendingInsert[]) => items.map((i) => {
    try {
      return { ok: true as const, result: insertOnce(i.s, i.now, i.opts) }
    } catch (error) {
      return { ok: false as const, error }
    }
  }))

  function commit () {
    const items = queue
    queue = []
    let outcomes
    try {
      outcomes = commitAll(items)
    } catch (error) {
      for (const i of items) i.reject(error)
      return
    }
    flush().then(
      () => outcomes.forEach((o, n) => o.ok ? items[n]!.resolve(o.result) : items[n]!.reject(o.error)),
      (error: unknown) => { for (const i of items) i.reject(error) },
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
