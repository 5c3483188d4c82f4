/**
 * Start-up mistakes (issue 16) as a new user meets them: the real server, started with `npm start`'s
 * own command on freshly compiled code, says one plain sentence on stderr, with no stack trace, and
 * exits non-zero. (Compiled into a folder of its own, so the bench's build in a parallel test cannot
 * change the files under it.) A FORMS_DIR the server may not read is not tried here: these tests run
 * as root, who may read anything; the code names it like the other cases.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIG_MESSAGES } from '../src/config.js'
import { tempDir } from './helpers/app.js'
import { cleanEnv, ROOT } from './helpers/child-server.js'
import { TEST_DATABASE_URL } from './helpers/postgres.js'

const OUT = '.dist-startup-test'
const start = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.trim().split(/\s+/) as string[]
const entry = path.join(OUT, path.relative('dist', start.at(-1)!))

/** Runs the server as `npm start` does; resolves when it exits (or kills it after `ms` if it does not). */
function run (env: Record<string, string>, ms = 20_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(start[0]!, [...start.slice(1, -1), entry], { cwd: ROOT, env: cleanEnv({ LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) }))
}

let work: string
beforeAll(() => {
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', OUT, '--tsBuildInfoFile', path.join(OUT, '.tsbuildinfo')], { cwd: ROOT })
  work = tempDir('rf-startup-')
}, 120_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** One line on stderr, exactly `sentence`, no stack trace, and a non-zero exit. */
async function expectOneSentence (env: Record<string, string>, sentence: string) {
  const { code, stderr } = await run({ DATA_DIR: path.join(work, `data-${Math.random().toString(36).slice(2)}`), ...env })
  expect(code).not.toBe(0)
  expect(code).not.toBeNull()
  expect(stderr).toBe(`${sentence}\n`)
  expect(stderr).not.toMatch(/^\s+at /m)
}

describe('npm start with a mistake in the setup', () => {
  it('says the forms folder does not exist', async () => {
    await expectOneSentence({ FORMS_DIR: '/path/that/does/not/exist' },
      'FORMS_DIR: the folder /path/that/does/not/exist does not exist; create it, or point FORMS_DIR at the folder of your form files')
  })

  it('says the forms folder is a file', async () => {
    await expectOneSentence({ FORMS_DIR: 'package.json' },
      'FORMS_DIR: package.json is not a folder (a file, or a path through a file); point FORMS_DIR at the folder of your form files')
  })

  it('says the data folder cannot be made inside a file, or is a file', async () => {
    const file = path.join(work, 'a-file')
    writeFileSync(file, 'x')
    const purpose = 'point DATA_DIR at a folder the server may create and write, for its database and key'
    await expectOneSentence({ DATA_DIR: path.join(file, 'data') }, `DATA_DIR: ${path.join(file, 'data')} is not a folder (a file, or a path through a file); ${purpose}`)
    await expectOneSentence({ DATA_DIR: file }, `DATA_DIR: ${file} is not a folder (a file, or a path through a file); ${purpose}`)
  })

  it.each([
    ['PORT', 'abc'], ['PUBLIC_URL', 'forms.example'], ['SECRET_KEY', 'secret-but-short'], ['LOG_LEVEL', 'chatty'], ['RETENTION_DAYS', 'a week'],
  ] as const)('explains a bad %s in plain words, without its value', async (name, value) => {
    await expectOneSentence({ [name]: value }, CONFIG_MESSAGES[name]!)
  })

  it('says the port is taken by another program', async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    try {
      await expectOneSentence({ PORT: String(port) }, `PORT: ${port} is already in use on 127.0.0.1 by another program; stop it, or set PORT to a free port such as 3001`)
    } finally {
      taken.close()
    }
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s: exit 0, and the data folder free for the next start', async (signal) => {
    const dataDir = path.join(work, `stop-${signal}`)
    mkdirSync(dataDir)
    for (let i = 0; i < 2; i++) { // the second start would be refused if the first left its lock
      const child = spawn(start[0]!, [...start.slice(1, -1), entry], { cwd: ROOT, env: cleanEnv({ LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (c: Buffer) => { out += c.toString() })
      child.stderr.on('data', (c: Buffer) => { out += c.toString() })
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => { if (out.includes('Server listening')) resolve() })
        child.on('close', () => reject(new Error(`exited before listening: ${out}`)))
      })
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
      child.kill(signal)
      expect(await exited).toBe(0)
      expect(out).toContain(`"signal":"${signal}"`)
      expect(out).toContain('Shutting down')
    }
  })

  it('says another server is using the same data folder', async () => {
    const dataDir = path.join(work, 'shared-data')
    mkdirSync(dataDir)
    const first = spawn(start[0]!, [...start.slice(1, -1), entry], { cwd: ROOT, env: cleanEnv({ LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      await new Promise<void>((resolve) => first.stdout.on('data', (c: Buffer) => { if (c.toString().includes('Server listening')) resolve() }))
      await expectOneSentence({ DATA_DIR: dataDir },
        `DATA_DIR: another server (process ${first.pid}) is already using ${dataDir}; stop it first, or give this one another DATA_DIR`)
    } finally {
      first.kill('SIGTERM')
      await new Promise((resolve) => first.on('close', resolve))
    }
  })

  it('says PostgreSQL does not answer, or has no such database, without the password in DATABASE_URL', async () => {
    const key = { SECRET_KEY: 'a-secret-every-server-of-this-test-shares!' }
    await expectOneSentence({ ...key, DATABASE_URL: 'postgres://forms:pa55word@127.0.0.1:1/referrals' },
      'DATABASE_URL: PostgreSQL at 127.0.0.1:1 does not answer; start it, or check the host and port in DATABASE_URL')
    const server = new URL(TEST_DATABASE_URL)
    server.pathname = '/no_such_database_here'
    await expectOneSentence({ ...key, DATABASE_URL: server.toString() },
      `DATABASE_URL: the database "no_such_database_here" does not exist at ${server.hostname}:${server.port || '5432'}; create it (createdb no_such_database_here) or correct DATABASE_URL`)
    await expectOneSentence({ DATABASE_URL: TEST_DATABASE_URL },
      'SECRET_KEY must be set when DATABASE_URL is: every server sharing the database needs the same key (make one with: openssl rand -base64 32, and keep a copy safe)')
  }, 60_000)
})
