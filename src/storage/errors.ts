/**
 * The database cannot be reached just now (PostgreSQL stopped, restarting, the network between): the
 * operation did not happen, and trying again later is the right answer. Pages turn it into a kind
 * "try again in a minute" (503) with the visitor's answers kept; the worker waits and tries again.
 * Any other storage error is a bug or a broken database, and stays what it is.
 */
export class StorageUnavailableError extends Error {
  constructor (cause: unknown) {
    super('The database is not answering just now', { cause })
    this.name = 'StorageUnavailableError'
  }
}

/** PostgreSQL's SQLSTATE classes and Node's socket errors that mean "not reachable now", not "wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND',
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
])

export function isUnavailable (err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true
  const e = err as { code?: unknown, message?: unknown } | null
  if (typeof e?.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true // class 08: connection exception
  // node-postgres says these in words, without a code.
  return typeof e?.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i.test(e.message)
}

/** The same error, or StorageUnavailableError when it means the database is out of reach. */
export function translate (err: unknown): unknown {
  return isUnavailable(err) && !(err instanceof StorageUnavailableError) ? new StorageUnavailableError(err) : err
}
