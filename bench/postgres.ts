/**
 * The bench's PostgreSQL: a database of its own on the server of BENCH_DATABASE_URL (default: the one
 * the tests use, TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres), dropped after,
 * and the queries the PostgreSQL rows wait on.
 */
import pg from 'pg'

const SERVER = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase {
  url: string
  /** Rows of `submissions` delivered so far, and waiting. */
  counts (): Promise<{ delivered: number, waiting: number }>
  /** Deliveries per second from the recorded attempts (first start to last finish). */
  drainRate (count: number): Promise<number>
  drop (): Promise<void>
}

async function admin<T> (work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SERVER })
  await c.connect()
  try {
    return await work(c)
  } finally {
    await c.end()
  }
}

/** A new database, or undefined (with the reason) when no PostgreSQL server answers. */
export async function benchDatabase (name: string): Promise<BenchDatabase | string> {
  const db = `rf_bench_${name}_${process.pid}`
  try {
    await admin((c) => c.query(`CREATE DATABASE "${db}"`))
  } catch (err) {
    return `no PostgreSQL at ${SERVER.replace(/\/\/[^@]*@/, '//')} (${(err as Error).message})`
  }
  const url = new URL(SERVER)
  url.pathname = `/${db}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
  const one = async (q: string) => Number((await pool.query<{ n: string }>(q)).rows[0]!.n)
  return {
    url: url.toString(),
    counts: async () => ({
      delivered: await one('SELECT count(*) AS n FROM submissions WHERE delivered_at IS NOT NULL'),
      waiting: await one('SELECT count(*) AS n FROM submissions WHERE delivered_at IS NULL'),
    }),
    async drainRate (count) {
      const { rows } = await pool.query<{ a: string, b: string }>("SELECT min(started_at) AS a, max(finished_at) AS b FROM delivery_attempts WHERE outcome = 'delivered'")
      return count / (Math.max(Number(rows[0]!.b) - Number(rows[0]!.a), 1) / 1000)
    },
    async drop () {
      await pool.end()
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`))
    },
  }
}
