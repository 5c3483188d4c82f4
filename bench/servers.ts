/**
 * The processes under load, each in a child process so that autocannon (in the bench process) and the
 * server never share one event loop: ours is the real entry point as `npm start` runs it (compiled
 * dist/server.js with its node flags, configured through the environment as in production), the limit is bare Fastify (bench/bare-server.ts), and the CRM is
 * the test suite's fake Charitylog (bench/fake-crm.ts). Their output goes to a log file in the work
 * folder, not through a pipe, so the bench never spends time reading the server's request log.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { FAKE_CHARITYLOG_KEYS } from '../test/fakes/fake-charitylog.js'

export const ROOT = path.resolve(import.meta.dirname, '..')
/** Signs the bench's form tokens (the bench issues them with the server's own code and key). */
export const BENCH_SECRET = 'bench-secret-key-0123456789-abcdefghijklmnop'

export interface Child {
  url: string
  pid: number
  log: string
  /** SIGTERM (graceful close, which writes a --cpu-prof profile), SIGKILL after `graceMs`. */
  stop (graceMs?: number): Promise<void>
}

/**
 * Starts `node [flags] <entry> [args]` (TypeScript entries through `--import tsx`, compiled ones as
 * they are) and resolves once its log shows `ready` (group 1: the URL).
 */
async function startChild (name: string, entry: string, args: string[], env: Record<string, string>, ready: RegExp,
  workDir: string, nodeFlags: string[] = []): Promise<Child> {
  const log = path.join(workDir, `${name}.log`)
  const fd = openSync(log, 'a')
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, ...loader, entry, ...args], {
    cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let gone = false
  void exited.then(() => { gone = true })
  const deadline = Date.now() + 30_000
  for (;;) {
    const m = ready.exec(readFileSync(log, 'utf8'))
    if (m) {
      return {
        url: m[1]!,
        pid: child.pid!,
        log,
        async stop (graceMs = 5000) {
          if (gone) return
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          await exited
          clearTimeout(timer)
        },
      }
    }
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} did not start:\n${readFileSync(log, 'utf8').slice(-2000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The bench's environment without any setting the server reads, so only what the bench gives counts. */
function baseEnv (): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(CHARITYLOG_|LAMPLIGHT_|RETRY_|RETENTION_|SECRET_KEY|DATA_DIR|FORMS_DIR|PORT|HOST|PUBLIC_URL|LOG_LEVEL|ADMIN_|TRUST_PROXY|MIN_FILL|DATABASE_URL|CRM_)/.test(k)) out[k] = v
  }
  return out
}

/**
 * How `npm start` runs the server (package.json `scripts.start`: `node <flags> <entry>`), so that the
 * bench runs ours exactly as production does: compiled, with the same V8 flags.
 */
export function startCommand (): { nodeFlags: string[], entry: string } {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const words = pkg.scripts.start!.trim().split(/\s+/)
  if (words[0] !== 'node' || words.length < 2) throw new Error(`The bench expects "start" to be "node [flags] <entry>", not: ${pkg.scripts.start}`)
  return { nodeFlags: words.slice(1, -1), entry: words.at(-1)! }
}

/** `npm run build`, as `npm start` does first (its output to stderr: stdout may be the bench's JSON). */
export function buildOurs (): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
}

export interface OursOptions {
  dataDir: string
  crmUrl: string
  formsDir?: string
  /** PostgreSQL instead of SQLite in dataDir. */
  databaseUrl?: string
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeFlags?: string[]
}

/**
 * Our server exactly as production runs it (`npm start`'s command, after buildOurs; log level info,
 * rate limits on), with two settings a
 * deployment behind a proxy also has: TRUST_PROXY=true, so each simulated visitor is its own address
 * (X-Forwarded-For, see load.ts) and the per-address limits are paid for but never reached; and the
 * CRM at a local fake.
 */
export function startOurs (name: string, workDir: string, o: OursOptions): Promise<Child> {
  const start = startCommand()
  return startChild(name, start.entry, [], {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: o.dataDir,
    FORMS_DIR: o.formsDir ?? path.join(ROOT, 'examples', 'forms'),
    SECRET_KEY: BENCH_SECRET,
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'info',
    CHARITYLOG_API_URL: o.crmUrl,
    CHARITYLOG_SOURCE_KEY: FAKE_CHARITYLOG_KEYS.sourceKey,
    CHARITYLOG_ORG_KEY: FAKE_CHARITYLOG_KEYS.orgKey,
    CHARITYLOG_USER_KEY: FAKE_CHARITYLOG_KEYS.userKey,
    ...(o.databaseUrl !== undefined && { DATABASE_URL: o.databaseUrl }),
  }, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/, workDir, [...start.nodeFlags, ...o.nodeFlags ?? []])
}

/** Bare Fastify: `GET /forms/:id` answers the bytes in `pageFile`; `POST /forms/:id` answers 303. */
export function startBare (workDir: string, pageFile: string): Promise<Child> {
  return startChild('bare', 'bench/bare-server.ts', [pageFile], {}, /bare listening at (http:\/\/127\.0\.0\.1:\d+)/, workDir)
}

/** The fake Charitylog, answering every request after `delayMs`. */
export function startFakeCrm (name: string, workDir: string, delayMs: number): Promise<Child> {
  return startChild(name, 'bench/fake-crm.ts', [String(delayMs)], {}, /fake CRM listening at (http:\/\/127\.0\.0\.1:\d+)/, workDir)
}

/** Resident set size of a process in MB (Linux: /proc/<pid>/status), or NaN where there is no /proc. */
export function rssMb (pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}
