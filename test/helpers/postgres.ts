/**
 * PostgreSQL for tests: the server of TEST_DATABASE_URL (`.ci/run` makes one database per run), a
 * database of a test's own on it (as an install would have), and a private server a test may stop and
 * start (an outage), made with the machine's own initdb and pg_ctl in a temporary folder.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './net.js'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
/** The SECRET_KEY every server of a test shares (with DATABASE_URL it must be set). */
export const SHARED_SECRET = 'a-secret-every-server-of-this-test-shares!'

let n = 0

/** A new, empty database on the test server; `drop` removes it (closing whatever is still connected). */
export async function createDatabase (prefix = 'rf_t'): Promise<{ url: string, name: string, drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')} does not answer (${err.message}): start it, or set TEST_DATABASE_URL`)
  })
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop () {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

/** The folder of the machine's PostgreSQL programs (initdb, pg_ctl). */
function binDir (): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
  } catch {}
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) throw new Error('PostgreSQL\'s programs (initdb, pg_ctl) are not installed: .ci/run installs them')
  return `/usr/lib/postgresql/${versions[0]}/bin`
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string
  stop (): void
  start (): void
  destroy (): void
}

/**
 * A PostgreSQL server of the test's own, on a free port, that it may stop (fast shutdown: every
 * connection is cut) and start again. As root, the server runs as the `postgres` user (PostgreSQL
 * refuses to run as root).
 */
export async function startPrivatePostgres (): Promise<PrivatePostgres> {
  const bin = binDir()
  const dir = mkdtempSync(path.join(tmpdir(), 'rf-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })))
  const run = (program: string, args: string[]) => asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args], { stdio: 'pipe' })
    : execFileSync(path.join(bin, program), args, { stdio: 'pipe' })
  const data = path.join(dir, 'data')
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const start = () => { run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', '-l', path.join(dir, 'log'), 'start']) }
  const stop = () => { run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']) }
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy () {
      try { stop() } catch {}
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
