/**
 * Moving an install from SQLite to PostgreSQL, and back-ups of both (issue 12), with the commands the
 * README gives: `npm run db:copy -- --to postgres://…` copies referrals in every state, their attempts,
 * the form history, the audit log, accounts and settings into an empty database and checks them;
 * `npm run db:backup` (SQLite's online back-up) and pg_dump / pg_restore make back-ups that, restored,
 * hold every referral, readable with the install's key.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveSecretKey, SECRET_FILE } from '../../src/security/secret-key.js'
import { openStorage, type Storage } from '../../src/storage/index.js'
import { tempDir } from '../helpers/app.js'
import { runNpm } from '../helpers/child-server.js'
import { createDatabase } from '../helpers/postgres.js'
import { lamplightSubmission, submission, T0 } from './contract/harness.js'

const work = tempDir('rf-move-')
const dataDir = path.join(work, 'data')
const drops: Array<() => Promise<void>> = []
let secret: string
/** What the SQLite install holds, to find again after each move. */
let expected: { counts: Record<string, number>, references: string[], accounts: string[], audit: number, history: number, answers: Map<string, string> }

/** Everything the storage says about the install, in a form two installs can be compared by. */
async function describeInstall (s: Storage) {
  const recent = await s.submissions.listRecent(1000)
  const answers = new Map<string, string>()
  for (const r of recent) {
    const data = await s.submissions.readPersonalData(r.reference)
    if (data) answers.set(r.reference, JSON.stringify(data.answers))
  }
  return {
    counts: await s.deliveries.counts(),
    references: recent.map((r) => r.reference).sort(),
    accounts: (await s.accounts.list()).map((a) => `${a.email} ${a.role}`),
    audit: await s.audit.count(),
    history: (await s.formHistory.list('carers-referral')).length,
    answers,
  }
}

beforeAll(async () => {
  secret = resolveSecretKey(undefined, dataDir)
  const s = await openStorage({ dataDir, secret })
  try {
    // Referrals in every state the staff pages know.
    const refs = await s.submissions.insertMany(Array.from({ length: 12 }, (_, i) => submission(`Person${String.fromCharCode(65 + i)}`)), T0)
    const lamplight = await s.submissions.insertMany([lamplightSubmission('Siân'), lamplightSubmission('Rhodri')], T0)
    await s.submissions.insertOnce(submission('Spammy'), T0, { quarantineReason: 'The hidden anti-spam field was filled in' })
    const claimed = await s.outbox.claimDue(T0, 60_000, 6, ['charitylog'])
    const [d1, d2, f1, f2, p1, h1] = claimed
    await s.outbox.record(d1!, { kind: 'delivered', crmIds: { id: 5001 }, raw: '{"id":5001}' }, T0, T0 + 10, T0 + 1000, 5)
    await s.outbox.record(d2!, { kind: 'retry', reason: 'Charitylog answered 503' }, T0, T0 + 10, T0 + 1000, 5)
    await s.outbox.record(f1!, { kind: 'rejected', reason: 'Charitylog refused the referral: surname is required' }, T0, T0 + 10, T0 + 1000, 5)
    await s.outbox.record(f2!, { kind: 'retry', reason: 'timed out' }, T0, T0 + 10, T0 + 1000, 1)
    await s.outbox.record(p1!, { kind: 'partly_delivered', crmIds: { carer: 1 }, reason: 'one of two people' }, T0, T0 + 10, T0 + 1000, 5)
    await s.outbox.record(h1!, { kind: 'rejected', reason: 'refused' }, T0, T0 + 10, T0 + 1000, 5)
    await s.outbox.markHandled(h1!.reference, T0 + 20)
    await s.outbox.holdDestination('lamplight', 'LAMPLIGHT_KEY is not set', T0)
    expect(refs).toHaveLength(12)
    expect(lamplight).toHaveLength(2)
    const admin = await s.accounts.create({ email: 'admin@example.org', name: 'Admin', role: 'admin', now: T0 })
    await s.accounts.setPassword(admin!.id, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', T0)
    await s.accounts.create({ email: 'case@example.org', name: 'Case Worker', role: 'caseworker', now: T0 })
    await s.audit.record({ at: T0, actor: 'Admin', action: 'retry', subject: d2!.reference })
    await s.audit.record({ at: T0 + 1, actor: 'Admin', action: 'form saved', subject: 'carers-referral', detail: 'version abc' })
    await s.formHistory.add({ formId: 'carers-referral', text: 'id: carers-referral\n# before\n', hash: 'h0', replacedAt: T0, replacedBy: 'Admin' })
    await s.settings.set('auth.require_2fa', 'yes')
    expected = await describeInstall(s)
  } finally {
    await s.close()
  }
  expect(expected.counts).toMatchObject({ waiting: 7, delivered: 1, failed: 2, partly_delivered: 1, handled: 1, held: 2, quarantined: 1 })
}, 60_000)

afterAll(async () => {
  for (const drop of drops) await drop()
  rmSync(work, { recursive: true, force: true })
})

describe('npm run db:copy', () => {
  it('copies a SQLite install into an empty PostgreSQL database, checks it, and refuses a database that is not empty', async () => {
    const db = await createDatabase()
    drops.push(db.drop)
    const { code, output } = await runNpm(['db:copy', '--', '--to', db.url], { DATA_DIR: dataDir })
    expect(output).toContain('Copied and checked: the counts match, and the personal data of all 15 referral(s)')
    expect(output).toMatch(/^\s+15 {2}submissions$/m)
    expect(output).toContain(`the contents of ${dataDir}/${SECRET_FILE}`)
    expect(output).not.toContain(secret)
    expect(code).toBe(0)

    const copied = await openStorage({ dataDir: tempDir(), secret, databaseUrl: db.url })
    try {
      expect(await describeInstall(copied)).toEqual(expected)
      // New rows after the move get new ids (the sequences were moved on), and the attempts came along.
      const [ref] = await copied.submissions.insertMany([submission('AfterTheMove')], T0 + 5000)
      expect((await copied.submissions.findByReference(ref!))!.id).toBeGreaterThan(15)
      const delivered = (await copied.deliveries.list({ state: 'delivered' }, 0, 10)).rows[0]!
      const row = await copied.submissions.findByReference(delivered.reference)
      expect((await copied.outbox.attempts(row!.id)).map((a) => a.outcome)).toEqual(['delivered'])
      expect(await copied.settings.get('auth.require_2fa')).toBe('yes')
    } finally {
      await copied.close()
    }

    const again = await runNpm(['db:copy', '--', '--to', db.url], { DATA_DIR: dataDir })
    expect(again.code).toBe(1)
    expect(again.output.trim()).toBe('The PostgreSQL database is not empty (its submissions table has rows): copy into a new, empty database')
  }, 120_000)

  it('says in one sentence when the PostgreSQL server does not answer, without the password', async () => {
    const { code, output } = await runNpm(['db:copy', '--', '--to', 'postgres://forms:pa55word@127.0.0.1:1/referrals'], { DATA_DIR: dataDir })
    expect(code).toBe(1)
    expect(output.trim()).toBe('DATABASE_URL: PostgreSQL at 127.0.0.1:1 does not answer; start it, or check the host and port in DATABASE_URL')
  }, 60_000)
})

describe('back-ups', () => {
  it('backs up SQLite while it is open, and a restored back-up (with the key) holds every referral', async () => {
    const open = await openStorage({ dataDir, secret }) // the server, still running
    const file = path.join(work, 'backup.db')
    try {
      const { code, output } = await runNpm(['db:backup', '--', file], { DATA_DIR: dataDir })
      expect(output).toContain(`Backed up ${dataDir} to ${file}`)
      expect(output).toContain(`Keep the key apart from it: ${dataDir}/${SECRET_FILE}`)
      expect(code).toBe(0)
    } finally {
      await open.close()
    }
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // The README's restore: the file as DATA_DIR/referrals.db, with the key.
    const restoredDir = path.join(work, 'restored')
    execFileSync('mkdir', ['-p', restoredDir])
    copyFileSync(file, path.join(restoredDir, 'referrals.db'))
    copyFileSync(path.join(dataDir, SECRET_FILE), path.join(restoredDir, SECRET_FILE))
    const restored = await openStorage({ dataDir: restoredDir, secret: readFileSync(path.join(restoredDir, SECRET_FILE), 'utf8').trim() })
    try {
      expect(await describeInstall(restored)).toEqual(expected)
    } finally {
      await restored.close()
    }
    expect((await runNpm(['db:backup', '--', file], { DATA_DIR: dataDir })).output).toContain('exists already')
  }, 60_000)

  it('backs up PostgreSQL with pg_dump, and pg_restore into a new database gives every referral back', async () => {
    const source = await createDatabase()
    drops.push(source.drop)
    expect((await runNpm(['db:copy', '--', '--to', source.url], { DATA_DIR: dataDir })).code).toBe(0)
    const dump = path.join(work, 'referrals.dump')
    execFileSync('pg_dump', ['--format=custom', `--file=${dump}`, `--dbname=${source.url}`])
    expect(existsSync(dump)).toBe(true)
    const target = await createDatabase()
    drops.push(target.drop)
    execFileSync('pg_restore', ['--no-owner', `--dbname=${target.url}`, dump])
    const restored = await openStorage({ dataDir: tempDir(), secret, databaseUrl: target.url })
    try {
      expect(await describeInstall(restored)).toEqual(expected)
    } finally {
      await restored.close()
    }
  }, 120_000)
})
