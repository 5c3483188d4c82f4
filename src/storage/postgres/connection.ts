/**
 * PostgreSQL: a pool of connections to DATABASE_URL, and the schema's migrations, run once even when
 * several servers start at the same moment (under a transaction-level advisory lock). Times are
 * milliseconds since the epoch in BIGINT columns, read back as numbers (they stay far below 2^53).
 *
 * Work in progress (issue 12): every store of the contract is here and passes the contract suites;
 * the app does not use this backend yet (openStorage still opens SQLite).
 */
import pg from 'pg'
import { migratePostgres } from './migrations.js'

export interface PostgresConnections {
  pool: pg.Pool
  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  transaction<T> (work: (client: pg.PoolClient) => Promise<T>): Promise<T>
  close (): Promise<void>
}

const INT8 = 20
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/** `schema`: the schema to work in (tests give each run its own); default `public`. */
export async function openPostgres (connectionString: string, schema = 'public'): Promise<PostgresConnections> {
  const pool = new pg.Pool({ connectionString, max: 10, types, options: `-c search_path=${schema}` })
  // A connection that fails while idle is reported here instead of crashing the process.
  pool.on('error', () => {})
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
  await transaction((client) => migratePostgres(client, schema))
  let closed: Promise<void> | undefined
  return { pool, transaction, close: () => (closed ??= pool.end()) }
}
