/**
 * Email alerts with two servers sharing one PostgreSQL database, both delivering and both sending mail:
 * a Charitylog that is down for referrals posted on both makes one incident email and one "working
 * again"; each referral that failed makes one email, whichever server recorded it; the daily summary
 * is sent once, not once a server.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import type { TestApp } from '../helpers/app.js'
import { createDatabase, SHARED_SECRET } from '../helpers/postgres.js'
import { buildRelayApp, carersBody, charitylogEnv, submit, waitFor } from '../helpers/relay.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'

let smtp: TestSmtp
let crm: FakeCharitylog
const opened: Array<() => Promise<unknown>> = []
beforeAll(async () => {
  smtp = await startSmtp()
  crm = await startFakeCharitylog()
})
afterEach(async () => { for (const close of opened.splice(0).reverse()) await close() })
afterAll(async () => {
  await smtp.close()
  await crm.close()
})

it('two servers: one email per incident, per failed referral and per day, whichever server saw it', async () => {
  const db = await createDatabase()
  opened.push(db.drop)
  const env = { ...charitylogEnv(crm), ...smtpEnv(smtp), DATABASE_URL: db.url, SECRET_KEY: SHARED_SECRET, DIGEST_TIME: '00:00' }
  const servers: TestApp[] = []
  for (let i = 0; i < 2; i++) {
    // The real clock: the relay tests' clock jumps a minute a submission, which would end claims (of
    // referrals and of alerts) while they are being sent, and a second server would rightly take them.
    const t = await buildRelayApp({ env, clock: () => new Date() })
    opened.push(() => t.close())
    servers.push(t)
  }
  // The day's summary: both servers' mail workers look at once; one email.
  await waitFor('the daily summary', () => smtp.messages.some((m) => m.subject.startsWith('Daily summary')))

  const port = Number(new URL(crm.url).port)
  await crm.faults.refuseConnections()
  const people = (i: number) => carersBody({ first: `Ceridwen${i}q`, surname: `Llewelyn${i}q` }, [{ first: `Emrys${i}q`, surname: `Llewelyn${i}q` }])
  for (let i = 0; i < 20; i++) await submit(servers[i % 2]!.app, 'carers-referral', people(i), `10.2.0.${i}`)
  await waitFor('the incident email', () => smtp.messages.some((m) => m.subject.startsWith('Charitylog is not answering')), 15_000)
  crm = await startFakeCharitylog(FAKE_CHARITYLOG_KEYS, port)
  const storage = servers[0]!.app.services.storage
  await waitFor('all 20 delivered', async () => (await storage.deliveries.counts()).delivered === 20, 30_000)
  await waitFor('the recovery email', () => smtp.messages.some((m) => m.subject === 'Charitylog is working again'), 15_000)

  // Three referrals Charitylog refuses, posted on both servers.
  crm.faults.failNext(3, 400)
  const refused: string[] = []
  for (let i = 0; i < 3; i++) refused.push(await submit(servers[i % 2]!.app, 'carers-referral', people(100 + i), `10.2.1.${i}`))
  await waitFor('three failure emails', () => smtp.messages.filter((m) => m.subject.includes('needs staff')).length >= 3, 15_000)
  await new Promise((resolve) => setTimeout(resolve, 1000))

  const subjects = smtp.messages.map((m) => m.subject)
  const all = (await storage.alerts.list(0, 100)).map((a) => `${a.kind} ${a.key} ${a.created_at} sent=${a.sent_at}`)
  expect(subjects.length, `${subjects.join('\n')}\n${all.join('\n')}`).toBe(6)
  expect(subjects.filter((s) => s.startsWith('Daily summary'))).toHaveLength(1)
  expect(subjects.filter((s) => s.startsWith('Charitylog is not answering'))).toHaveLength(1)
  expect(subjects.filter((s) => s === 'Charitylog is working again')).toHaveLength(1)
  expect(subjects.filter((s) => s.includes('needs staff')).sort()).toEqual(refused.map((r) => `Referral ${r} needs staff: it could not be delivered to Charitylog`).sort())
  expect(subjects).toHaveLength(6)
}, 90_000)
