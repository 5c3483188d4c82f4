/**
 * The real server in a child process, killed with SIGKILL while three alerts are stored and not yet sent
 * (the mail server is down), then restarted with the mail server back: each alert arrives exactly once,
 * and a second restart sends nothing more.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { EXAMPLE_FORMS, form, tempDir } from '../helpers/app.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'
import { logPersonalData } from '../helpers/mail-log.js'
import { carersBody, charitylogEnv, waitFor } from '../helpers/relay.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'

const dataDir = tempDir()
const servers: ChildServer[] = []
let crm: FakeCharitylog | undefined
let smtp: TestSmtp | undefined
afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.exited))
  await crm?.close()
  await smtp?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function post (url: string, answers: string): Promise<string> {
  const page = await fetch(`${url}/forms/carers-referral`)
  const hidden = ownHiddenInputs(await page.text())
  const res = await fetch(`${url}/forms/carers-referral`, {
    method: 'POST', body: [form(hidden), answers].join('&'), redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  expect(res.status).toBe(303)
  return /\/sent\/([A-Z0-9]{8})$/.exec(res.headers.get('location') ?? '')![1]!
}

it('sends every alert stored before a SIGKILL exactly once after the restart', async () => {
  crm = await startFakeCharitylog()
  smtp = await startSmtp()
  await smtp.stop()
  const env = { ...charitylogEnv(crm), ...smtpEnv(smtp), DATA_DIR: dataDir, FORMS_DIR: EXAMPLE_FORMS, MIN_FILL_SECONDS: '0', DIGEST_TIME: 'off' }
  const first = await startChildServer(env)
  servers.push(first)
  // Charitylog refuses all three referrals' data: each is an alert for staff.
  crm.faults.failNext(3, 400)
  const refs: string[] = []
  for (const name of ['Hollyhock', 'Foxglove', 'Larkspur']) {
    logPersonalData([`${name}q`, `${name}son`])
    refs.push(await post(first.url, carersBody({ first: `${name}q`, surname: `${name}son` }, [{ first: `${name}r`, surname: `${name}son` }])))
  }
  const db = new Database(path.join(dataDir, 'referrals.db'), { fileMustExist: true, readonly: true })
  db.pragma('busy_timeout = 5000')
  const unsent = () => db.prepare("SELECT reference FROM alerts WHERE kind = 'failed' AND sent_at IS NULL").pluck().all() as string[]
  await waitFor('three alerts stored, none sent', () => unsent().length === 3, 20_000)
  db.close()
  first.child.kill('SIGKILL')
  await first.exited

  await smtp.start()
  const second = await startChildServer(env)
  servers.push(second)
  await smtp.waitFor(3, 20_000)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  expect(smtp.messages.map((m) => m.subject).sort()).toEqual(refs.map((r) => `Referral ${r} needs staff: it could not be delivered to Charitylog`).sort())

  // A clean stop and another start: nothing is sent again.
  second.child.kill('SIGTERM')
  await second.exited
  const third = await startChildServer(env)
  servers.push(third)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  expect(smtp.messages).toHaveLength(3)
}, 90_000)
