/**
 * WAL checkpoints off the event loop. SQLite checkpoints on its own inside the commit that takes the
 * WAL past 1,000 pages: it copies the pages into the database file and fsyncs both files while the
 * event loop waits: under load, more than half the cost of storing a submission (docs/performance.md). Here a worker thread with a connection of its own does it
 * instead, every CHECKPOINT_EVERY_MS: PASSIVE, so it never blocks a commit, and its fsyncs block only
 * that thread. The app's connections keep SQLite's own checkpoint as a safety net at a higher mark
 * (WAL_SAFETY_PAGES): if this thread is not keeping up, or has stopped, commits checkpoint as before;
 * while it keeps up, that checkpoint finds little left to copy or sync, and lets the WAL start over
 * (a WAL written to without a pause is otherwise never reset).
 *
 * The thread's code is plain JavaScript given as a string, so it runs the same under tsx, vitest or
 * compiled code.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export const CHECKPOINT_EVERY_MS = 50
/** wal_autocheckpoint of the app's connections (pages of 4 KB): the mark at which a commit checkpoints itself. */
export const WAL_SAFETY_PAGES = 4000

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const flags = new Int32Array(workerData.flags)
let db
let timer
function stop () {
  clearInterval(timer)
  try { if (db) db.close() } catch {}
  db = undefined
  Atomics.store(flags, 1, 1)
  Atomics.notify(flags, 1)
  parentPort.close()
}
parentPort.on('message', stop)
if (Atomics.load(flags, 0) === 1) {
  stop()
} else {
  const Database = require(workerData.driver)
  db = new Database(workerData.file)
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  db.pragma('wal_autocheckpoint = 0')
  db.pragma('cache_size = -256') // it copies pages from the WAL to the database: no use for a large cache
  timer = setInterval(() => {
    try { db.pragma('wal_checkpoint(PASSIVE)') } catch (err) { parentPort.postMessage({ error: String(err && err.message) }); stop() }
  }, workerData.everyMs)
}
`

export interface Checkpointer {
  /**
   * Stops the thread and waits (a few milliseconds, at most STOP_WAIT_MS) until it has closed its
   * connection, so that after the store's close nothing has the database open. Idempotent.
   */
  stop (): void
}

const STOP_WAIT_MS = 2000

/** Starts checkpointing the database `file` (in WAL mode) every `everyMs`. `onError` is told if the thread gives up. */
export function startCheckpointer (file: string, onError: (message: string) => void, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  // [0]: stop asked (seen by a thread still starting); [1]: stopped, connection closed.
  const flags = new Int32Array(new SharedArrayBuffer(8))
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { driver, file, everyMs, flags: flags.buffer },
    // The thread holds a connection and a timer, nothing more: a small heap halves what the thread
    // adds to the server's memory (about 14 MB to 8 MB), for the smallest machine a charity can rent.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  })
  let exited = false
  worker.on('message', (m: { error?: string }) => { if (m.error) onError(m.error) })
  worker.on('error', (err) => onError(err.message))
  worker.on('exit', () => { exited = true })
  // The thread never decides when the process ends: an open connection never did, and `stop` (from
  // the store's close) ends the thread.
  worker.unref()
  let stopped = false
  return {
    stop () {
      if (stopped) return
      stopped = true
      Atomics.store(flags, 0, 1)
      worker.postMessage('stop')
      if (!exited) Atomics.wait(flags, 1, 0, STOP_WAIT_MS)
    },
  }
}
