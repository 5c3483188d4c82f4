/**
 * Staff sessions for @fastify/session, which (like express-session) calls a store with callbacks:
 * this wraps the storage contract's SessionStore in that shape. Sessions survive a restart, and a
 * session idle for longer than `idleMs` is gone: every request that saves it (the cookie is rolling)
 * moves its expiry on. Expired sessions are deleted as sessions are saved, at most once a minute.
 */
import type { SessionStore } from '../storage/index.js'

/** Staff are signed out after this long without a request. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000
/** And this long after signing in, however busy (a shared computer left signed in overnight). */
export const SESSION_ABSOLUTE_MS = 24 * 60 * 60 * 1000
const PURGE_EVERY_MS = 60 * 1000

type Callback = (err?: unknown) => void

/** `S`: the shape sessions are saved in (whatever JSON.stringify made of them). */
export interface CallbackSessionStore<S extends object> {
  /** The session saved under `id`, or null when there is none or it has expired. */
  get (id: string, cb: (err: unknown, session?: S | null) => void): void
  set (id: string, session: S, cb: Callback): void
  destroy (id: string, cb: Callback): void
}

export function createSessionStore<S extends object> (store: SessionStore, opts: { idleMs?: number, now: () => number }): CallbackSessionStore<S> {
  const idleMs = opts.idleMs ?? SESSION_IDLE_MS
  let lastPurge = 0
  return {
    get (id, cb) {
      store.get(id, opts.now()).then((data) => cb(null, data === undefined ? null : JSON.parse(data) as S), cb)
    },
    set (id, session, cb) {
      const now = opts.now()
      const purge = now - lastPurge >= PURGE_EVERY_MS
      if (purge) lastPurge = now
      store.set(id, JSON.stringify(session), now + idleMs)
        .then(() => (purge ? store.purgeExpired(now) : 0))
        .then(() => cb(), cb)
    },
    destroy (id, cb) {
      store.destroy(id).then(() => cb(), cb)
    },
  }
}
