/**
 * PostgreSQL: a pool of connections to DATABASE_URL, and the schema's migrations, run once even when
 * several servers start at the same moment (under a transaction-level advisory lock). Times are
 * milliseconds since the epoch in BIGINT columns, read back as numbers (they stay far below 2^53).
 *
 * Every query and transaction goes through `pool.query` / `transaction` here, which turn "the server
 * is out of reach" into StorageUnavailableError (../errors.ts): pages say "try again in a minute", the
 * worker waits. The pool replaces broken connections by itself, so nothing needs restarting when the
 * database is back. `listen` keeps one extra connection for LISTEN, reconnecting after an outage.
 */
import pg from 'pg'
import { translate } from '../errors.js'
import { migratePostgres } from './migrations.js'

/** The part of a pool the stores use: queries whose "out of reach" errors are translated. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow> (text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
}

export interface PostgresConnections {
  pool: Queryable
  /** The schema the tables are in (notifications carry it, so servers on other schemas ignore them). */
  schema: string
  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  transaction<T> (work: (client: pg.PoolClient) => Promise<T>): Promise<T>
  /**
   * Calls `onMessage(payload)` for each NOTIFY on `channel` sent for this schema, and `onMessage(undefined)`
   * after reconnecting (anything may have been missed meanwhile). Resolves once listening (or once the
   * first try failed: it keeps trying, and says so with `onMessage(undefined)`) to a function that stops.
   */
  listen (channel: string, onMessage: (payload: string | undefined) => void): Promise<() => Promise<void>>
  close (): Promise<void>
}

const INT8 = 20
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/** How long a query waits for a free or new connection before saying the database is out of reach. */
export const CONNECT_TIMEOUT_MS = 5000

/**
 * `schema`: the schema to work in (tests give each run its own); without it, the connection's own
 * search_path (`public` unless DATABASE_URL's `options` says otherwise).
 */
export async function openPostgres (connectionString: string, schema?: string): Promise<PostgresConnections> {
  const settings = {
    connectionString,
    types,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  }
  const raw = new pg.Pool({ ...settings, max: 10 })
  // A connection that fails while idle is reported here instead of crashing the process; the pool drops it.
  raw.on('error', () => {})
  const pool: Queryable = {
    query: (text, values) => raw.query(text, values).catch((err: unknown) => { throw translate(err) }),
  }
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient
    try {
      client = await raw.connect()
    } catch (err) {
      throw translate(err)
    }
    let broken = false
    // A checked-out connection cut by the server between two queries says so with an 'error' event
    // (the pool only listens while it is idle); the query that follows fails, and it is not reused.
    const cut = () => { broken = true }
    client.on('error', cut)
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => { broken = true })
      throw translate(err)
    } finally {
      client.off('error', cut)
      client.release(broken)
    }
  }
  try {
    await transaction((client) => migratePostgres(client, schema))
  } catch (err) {
    await raw.end().catch(() => {})
    throw err
  }
  const current = schema ?? (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s
  const listeners = new Set<() => Promise<void>>()

  async function listen (channel: string, onMessage: (payload: string | undefined) => void) {
    let stopped = false
    let client: pg.Client | undefined
    let retry: NodeJS.Timeout | undefined
    let delay = 500
    const connect = async (again: boolean) => {
      if (stopped) return
      const c = new pg.Client(settings)
      client = c
      const lost = () => {
        if (client !== c || stopped) return
        client = undefined
        c.end().catch(() => {})
        retry = setTimeout(() => { connect(true).catch(() => {}) }, delay)
        delay = Math.min(delay * 2, 10_000)
      }
      c.on('error', lost)
      c.on('end', lost)
      c.on('notification', (n) => { if (n.channel === channel && n.payload === current) onMessage(n.payload) })
      try {
        await c.connect()
        await c.query(`LISTEN ${c.escapeIdentifier(channel)}`)
        delay = 500
        if (again) onMessage(undefined)
      } catch {
        lost()
      }
    }
    const ready = connect(false)
    const stop = async () => {
      stopped = true
      clearTimeout(retry)
      await ready
      await client?.end().catch(() => {})
      listeners.delete(stop)
    }
    listeners.add(stop)
    await ready
    return stop
  }

  let closed: Promise<void> | undefined
  return {
    pool,
    schema: current,
    transaction,
    listen,
    close: () => (closed ??= (async () => {
      await Promise.all([...listeners].map((stop) => stop()))
      await raw.end()
    })()),
  }
}
