/**
 * The real server in a child process, killed with SIGKILL while 20 referrals wait for a Charitylog
 * that refuses connections, then restarted on the same data folder with Charitylog back: every
 * referral arrives exactly once.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { FAKE_CHARITYLOG_KEYS as KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { EXAMPLE_FORMS, form, tempDir } from '../helpers/app.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'
import { ALL_FAKE_SECRETS, carersBody, charitylogEnv, waitFor } from '../helpers/relay.js'

const COUNT = 20
// Same length, so no surname is part of another.
const people = Array.from({ length: COUNT }, (_, i) => ({
  carer: { first: `Carer${String.fromCharCode(65 + i)}q`, surname: `Quill${String.fromCharCode(65 + i)}worth` },
  caredFor: { first: `Cared${String.fromCharCode(65 + i)}q`, surname: `Quill${String.fromCharCode(65 + i)}worth` },
}))

const dataDir = tempDir()
const servers: ChildServer[] = []
const fakes: FakeCharitylog[] = []
afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.exited))
  await Promise.all(fakes.map((f) => f.close()))
  rmSync(dataDir, { recursive: true, force: true })
})

/** The form page's own hidden inputs (form token...), as a browser would send them back. */
async function hiddenInputs (url: string): Promise<Array<[string, string]>> {
  const res = await fetch(`${url}/forms/carers-referral`)
  expect(res.status).toBe(200)
  return ownHiddenInputs(await res.text())
}

async function post (url: string, hidden: Array<[string, string]>, answers: string): Promise<string> {
  const res = await fetch(`${url}/forms/carers-referral`, {
    method: 'POST',
    body: [form(hidden), answers].filter((s) => s !== '').join('&'),
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  expect(res.status).toBe(303)
  const m = /\/sent\/([A-Z0-9]{8})$/.exec(res.headers.get('location') ?? '')
  expect(m).not.toBeNull()
  return m![1]!
}

interface Facts { reference: string, attempts: number, lease_until: number | null, next_attempt_at: number | null, delivered_at: number | null }

it('delivers all 20 referrals exactly once after the server is killed with SIGKILL while Charitylog is down', async () => {
  const down = await startFakeCharitylog()
  fakes.push(down)
  const port = Number(new URL(down.url).port)
  await down.faults.refuseConnections()
  // Retries 300 ms apart at first, so that every referral has failed and waits for its next try soon
  // after the last is sent. No minimum fill time: these visitors are a test, not the spam check's subject.
  const env = { ...charitylogEnv(down, { RETRY_BASE_DELAY_MS: '300' }), DATA_DIR: dataDir, FORMS_DIR: EXAMPLE_FORMS, MIN_FILL_SECONDS: '0' }

  const first = await startChildServer(env)
  servers.push(first)
  // Twenty visitors open the form and send it, with the page's own hidden inputs (form token).
  const pages = await Promise.all(people.map(() => hiddenInputs(first.url)))
  const refs: string[] = []
  for (const [i, p] of people.entries()) refs.push(await post(first.url, pages[i]!, carersBody(p.carer, [p.caredFor])))
  expect(new Set(refs).size).toBe(COUNT)

  // The database as another process sees it (WAL lets it read while the server writes).
  const db = new Database(path.join(dataDir, 'referrals.db'), { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const facts = () => db.prepare('SELECT reference, attempts, lease_until, next_attempt_at, delivered_at FROM submissions').all() as Facts[]
  /** On a timeout, say where the referrals and the servers were. */
  const explain = (err: unknown) => new Error(`${(err as Error).message}\nrows: ${JSON.stringify(facts())}\nnow: ${Date.now()}\n` +
    `output:\n${servers.flatMap((s) => s.output).join('').slice(-3000)}`)
  try {
    // Kill it while every referral has failed at least once and waits for its next try. (At a moment
    // when no claim is held: a claim left by a killed process is only taken again when its lease
    // expires, minutes later with the server's default lease; worker.test covers that path.)
    await waitFor('every referral to be waiting between attempts', () => {
      const rows = facts()
      const soonest = Math.min(...rows.map((r) => r.next_attempt_at ?? 0))
      return rows.length === COUNT && rows.every((r) => r.attempts >= 1 && r.lease_until === null) && soonest > Date.now() + 200
    }, 20_000).catch((err: unknown) => { throw explain(err) })
    first.child.kill('SIGKILL')
    await first.exited
    expect(first.child.signalCode).toBe('SIGKILL')
    // The precondition held up to the kill: nothing delivered, no claim left behind.
    expect(facts().filter((r) => r.delivered_at !== null || r.lease_until !== null)).toEqual([])

    const up = await startFakeCharitylog(KEYS, port)
    fakes.push(up)
    const second = await startChildServer(env)
    servers.push(second)
    await waitFor('all 20 delivered', () => facts().every((r) => r.delivered_at !== null), 20_000)
      .catch((err: unknown) => { throw explain(err) })

    expect(facts().map((r) => r.reference).sort()).toEqual([...refs].sort())
    expect(up.referrals).toHaveLength(COUNT)
    const surnames = up.referrals.map((r) => String(r.people[0]!.surname))
    for (const p of people) expect(surnames.filter((s) => s === p.carer.surname), p.carer.surname).toHaveLength(1)

    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  } finally {
    db.close()
  }

  // The captured output of both processes: references and outcomes, never keys, names or key=.
  const output = servers.flatMap((s) => s.output).join('')
  expect(output).toContain('Referral delivered')
  for (const ref of refs) expect(output).toContain(ref)
  for (const secret of ALL_FAKE_SECRETS) expect(output).not.toContain(secret)
  expect(output).not.toMatch(/key=|lampid=/)
  for (const p of people) {
    for (const word of [p.carer.first, p.carer.surname, p.caredFor.first]) expect(output).not.toContain(word)
  }
  expect(output).not.toContain('Orchard Lane')
  expect(output).not.toContain('I look after my parents')
}, 180_000)
