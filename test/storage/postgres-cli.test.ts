/**
 * The command-line tools with DATABASE_URL (issue 12: "the CLI and staff pages work the same way on
 * both backends"): the first admin made in PostgreSQL, the outbox listed from it, the forms in the
 * database checked and exported back out as files, comments and all.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildTestApp, EXAMPLE_FORMS, tempDir } from '../helpers/app.js'
import { cleanEnv, ROOT, runNpm } from '../helpers/child-server.js'
import { createDatabase, SHARED_SECRET } from '../helpers/postgres.js'
import { submit } from '../helpers/relay.js'

let db: Awaited<ReturnType<typeof createDatabase>>
let env: Record<string, string>
const work = tempDir('rf-pg-cli-')
let reference: string

beforeAll(async () => {
  db = await createDatabase()
  env = { DATABASE_URL: db.url, SECRET_KEY: SHARED_SECRET, DATA_DIR: path.join(work, 'unused'), FORMS_DIR: EXAMPLE_FORMS }
  // A first start imports the examples into the database; a referral comes in.
  const t = await buildTestApp({ env: { DATABASE_URL: db.url, SECRET_KEY: SHARED_SECRET }, startWorker: false })
  try {
    reference = await submit(t.app, 'carers-referral', 'carer[0][_]=1&carer[0][first_name]=Mair&carer[0][surname]=Evans&carer[0][email]=mair%40example.org&carer[0][phone]=01989%20567890&carer[0][address1]=1%20Lane&carer[0][postcode]=hr9%207us&carer[0][ethnicity]=35&cared_for[0][_]=1&cared_for[0][first_name]=Ifan&cared_for[0][surname]=Evans&cared_for[0][date_of_birth][day]=3&cared_for[0][date_of_birth][month]=4&cared_for[0][date_of_birth][year]=1940&reason=Help&heard_from=GP&consent=yes')
  } finally {
    await t.close()
  }
}, 60_000)
afterAll(async () => {
  await db.drop()
  rmSync(work, { recursive: true, force: true })
})

it('makes the first admin in PostgreSQL and lists the outbox from it', async () => {
  const child = spawn('npm', ['run', '--silent', 'users', '--', 'create-admin', 'jane@example.org', 'Jane'], { cwd: ROOT, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { out += c.toString() })
  child.stdin.end('a long walk by the river wye\n')
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0)
  expect(out).toContain('Made jane@example.org an admin')
  const list = await runNpm(['users', '--', 'list'], env)
  expect(list.output).toMatch(/jane@example\.org/)
  const outbox = await runNpm(['outbox', '--', 'list'], env)
  expect(outbox.code).toBe(0)
  expect(outbox.output).toContain(reference)
}, 60_000)

it('checks the forms in the database, and exports them as the files they came from', async () => {
  const check = await runNpm(['forms:check'], env)
  expect(check.output).toContain('Checking the forms in the database (DATABASE_URL)')
  expect(check.output).toContain('2 form(s) ok, 0 broken')
  expect(check.code).toBe(0)

  const out = path.join(work, 'exported')
  const exported = await runNpm(['forms:export', '--', '--to', out], env)
  expect(exported.code).toBe(0)
  expect(exported.output).toContain(`2 form(s) exported to ${out}`)
  for (const name of readdirSync(out)) {
    expect(readFileSync(path.join(out, name), 'utf8')).toBe(readFileSync(path.join(EXAMPLE_FORMS, name), 'utf8'))
  }
  expect(readdirSync(out).sort()).toEqual(['carers-referral.yaml', 'professional-referral.yaml'])
  expect((await runNpm(['forms:export', '--', '--to', out], env)).output).toMatch(/^same {4}/m)

  const sqlite = await runNpm(['forms:export'], { DATA_DIR: path.join(work, 'sqlite'), FORMS_DIR: EXAMPLE_FORMS })
  expect(sqlite.output.trim()).toBe(`The forms are files in ${EXAMPLE_FORMS} already (no DATABASE_URL): nothing to export.`)
}, 60_000)
