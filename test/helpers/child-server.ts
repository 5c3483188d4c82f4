/**
 * The real server (src/server.ts) in a child process, for tests that kill it. Node is started directly
 * with tsx as a loader (not the `tsx` CLI, which runs the script in a grandchild that SIGKILL would not
 * reach). Its stdout and stderr are captured in `output`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')

/** The environment without any setting the server reads, so only what a test gives counts. */
export function cleanEnv (env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(CHARITYLOG_|LAMPLIGHT_|RETRY_|RETENTION_|SECRET_KEY|DATA_DIR|FORMS_DIR|PORT|HOST|PUBLIC_URL|LOG_LEVEL|ADMIN_|DATABASE_URL|CRM_|CONTACT_|OIDC_|PASSWORD_SIGN_IN|MIN_FILL|TRUST_PROXY|SMTP_|MAIL_FROM|ALERT_EMAILS|DIGEST_TIME)/.test(k)) base[k] = v
  }
  return { ...base, ...env }
}

/** Runs a TypeScript entry point of the project with `args`, returning the child and its output. */
export function runTs (entry: string, args: string[], env: Record<string, string>): { child: ChildProcess, output: string[], exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, output, exited }
}

export interface ChildServer {
  child: ChildProcess
  url: string
  output: string[]
  exited: Promise<number | null>
}

/** Starts the server on a free port (PORT=0) and resolves with its URL once it listens. */
export async function startChildServer (env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
  const run = runTs('src/server.ts', [], { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { run.child.kill('SIGKILL'); reject(new Error(`Server did not start:\n${run.output.join('')}`)) }, timeoutMs)
    const look = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output.join(''))
      if (m) { clearTimeout(timer); resolve(m[1]!) }
    }
    run.child.stdout!.on('data', look)
    run.child.on('close', () => { clearTimeout(timer); reject(new Error(`Server exited:\n${run.output.join('')}`)) })
  })
  return { ...run, url }
}

/** Runs `npm run --silent <args>` in the project (e.g. the ops CLI) and resolves with its exit code and output. */
export async function runNpm (args: string[], env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn('npm', ['run', '--silent', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  child.stdout.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  child.stderr.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, output: output.join('') }
}
