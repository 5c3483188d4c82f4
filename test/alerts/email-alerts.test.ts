/**
 * Email alerts end to end: the real server (in process) relaying to the fake CRMs, and a real SMTP
 * server started here that records what it takes. Each kind of alert; the incident grouping (a CRM down
 * for 50 referrals sends one email, then one "working again"); the mail server down then back (nothing
 * lost, nothing twice); a refusal for good; and no personal data in any email.
 */
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HONEYPOT_FIELD } from '../../src/forms/view-model.js'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { startFakeLamplight } from '../fakes/fake-lamplight.js'
import { EXAMPLE_FORMS, form, FORM_HEADERS, tempDir, type TestApp } from '../helpers/app.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'
import { personalDataIn } from '../helpers/mail-log.js'
import { advanceTestClock, buildRelayApp, carersBody, charitylogEnv, lamplightEnv, professionalBody, submit, waitFor } from '../helpers/relay.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'
import { Staff } from '../admin/helpers.js'

let smtp: TestSmtp
let crm: FakeCharitylog
const apps: TestApp[] = []
/** Every answer sent in this file: none may be in any email. */
const answers: string[] = []

beforeAll(async () => {
  smtp = await startSmtp()
  crm = await startFakeCharitylog()
})
afterEach(async () => {
  for (const t of apps.splice(0)) await t.close()
  smtp.messages.length = 0
  smtp.refuseRecipients = false
})
afterAll(async () => {
  await smtp.close()
  await crm.close()
})

/** A forms folder: the examples, the carers form asking for new-referral alerts and a team address. */
function formsWithAlerts (): string {
  const dir = tempDir('rf-alert-forms-')
  for (const n of readdirSync(EXAMPLE_FORMS).filter((f) => f.endsWith('.yaml'))) copyFileSync(path.join(EXAMPLE_FORMS, n), path.join(dir, n))
  const file = path.join(dir, 'carers-referral.yaml')
  writeFileSync(file, `${readFileSync(file, 'utf8')}\nalerts:\n  new_referrals: true\n  team_email: carers-team@charity.example\n`)
  return dir
}

async function app (env: Record<string, string> = {}, formsDir?: string) {
  const t = await buildRelayApp({
    ...(formsDir !== undefined && { formsDir }),
    env: { ...charitylogEnv(crm), ...smtpEnv(smtp), ADMIN_PASSWORD: 'correct horse battery staple', DIGEST_TIME: 'off', ...env },
  })
  apps.push(t)
  return t
}

let n = 0
/** A carers referral with answers of its own (recorded, so the scan looks for them). */
function referral () {
  n++
  const carer = { first: `Marigold${n}x`, surname: `Thistlewood${n}y` }
  const caredFor = { first: `Bartholomew${n}x`, surname: `Thistlewood${n}y` }
  answers.push(carer.first, carer.surname, caredFor.first, `${carer.first.toLowerCase()}@example.org`, '01989 567890', '1 Orchard Lane')
  return carersBody(carer, [caredFor], `My husband ${caredFor.first} needs care after a fall`)
}

const subjects = () => smtp.messages.map((m) => m.subject)
const alertsOf = (t: TestApp) => t.app.services.storage.alerts.list(0, 500)

function expectNoPersonalData () {
  for (const m of smtp.messages) expect(personalDataIn(m, answers), m.subject).toEqual([])
}

describe('email alerts', () => {
  it('without a mail server nothing breaks, and the staff pages say alerts are off', async () => {
    const t = await buildRelayApp({ env: { ...charitylogEnv(crm), ADMIN_PASSWORD: 'correct horse battery staple' } })
    apps.push(t)
    crm.faults.nextStatus(400, { error: 'Bad postcode' })
    const ref = await submit(t.app, 'carers-referral', referral())
    await waitFor('the referral to fail', async () => (await t.app.services.storage.submissions.findByReference(ref))?.failed_at)
    const staff = new Staff(t.app)
    await staff.signIn()
    const page = await staff.get('/admin/alerts')
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Email alerts are off')
    expect(page.body).toContain('set SMTP_HOST (or SMTP_URL) and MAIL_FROM')
    expect(smtp.messages).toEqual([])
  })

  it('"Send a test email" sends one, to that address only, through the queue', async () => {
    const t = await app()
    const staff = new Staff(t.app)
    await staff.signIn()
    const page = await staff.get('/admin/alerts')
    expect(page.body).toContain('127.0.0.1:' + smtp.port)
    const bad = await staff.post('/admin/alerts/test', { to: 'not an address' })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toContain('Enter an email address')
    const sent = await staff.post('/admin/alerts/test', { to: 'Volunteer@Charity.example' })
    expect(sent.statusCode).toBe(303)
    const [mail] = await smtp.waitFor(1)
    expect(mail).toMatchObject({ subject: 'Test email from the referral forms', to: ['volunteer@charity.example'], from: 'referrals@charity.example' })
    expect(mail!.text).toContain('/admin/alerts')
    expect(mail!.html).toContain('<html lang="en">')
    await waitFor('the page to show it sent', async () => (await staff.get('/admin/alerts')).body.includes('Sent '))
  })

  it('one email per referral that failed, with its reference and form, never its answers', async () => {
    const t = await app()
    crm.faults.nextStatus(400, { error: 'Could not import Marigold' })
    const ref = await submit(t.app, 'carers-referral', referral())
    const [mail] = await smtp.waitFor(1)
    expect(mail!.subject).toBe(`Referral ${ref} needs staff: it could not be delivered to Charitylog`)
    expect(mail!.to).toEqual(['team@charity.example'])
    expect(mail!.text).toContain(`Reference: ${ref}`)
    expect(mail!.text).toContain('(carers-referral)')
    expect(mail!.text).toContain(`${t.config.publicUrl}/admin/deliveries/${ref}`)
    expect(mail!.text).not.toContain('Could not import')
    expectNoPersonalData()
  })

  it('one email for a referral Lamplight only partly saved (1058), naming Lamplight', async () => {
    const ll = await startFakeLamplight()
    try {
      const t = await app(lamplightEnv(ll))
      ll.faults.nextError('referral/add', 1058, { withId: true })
      answers.push('Rhodri', 'Pembertonski', 'rhodri@example.net')
      const ref = await submit(t.app, 'professional-referral', professionalBody({ first: 'Rhodri', surname: 'Pembertonski' }, { first: 'Nia', surname: 'Caseworker' }))
      const [mail] = await smtp.waitFor(1)
      expect(mail!.subject).toBe(`Referral ${ref} needs staff: only part of it reached Lamplight`)
      expect(mail!.text).toContain('Someone needs to finish it in Lamplight.')
      expectNoPersonalData()
    } finally {
      await ll.close()
    }
  })

  it('Charitylog down for 50 referrals: one email for the incident, then one when it works again', async () => {
    // Enough attempts that none fails however long the outage lasts on a loaded machine.
    const t = await app({ RETRY_MAX_ATTEMPTS: '1000' })
    const port = Number(new URL(crm.url).port)
    await crm.faults.refuseConnections()
    try {
      // Fifty visitors, each from an address of their own (the form limits attempts per address).
      for (let i = 0; i < 50; i++) await submit(t.app, 'carers-referral', referral(), `10.1.0.${i}`)
      await waitFor('the incident email', () => smtp.messages.length >= 1)
      expect(subjects()[0]).toMatch(/^Charitylog is not answering: \d+ referrals? waiting$/)
      // Every referral has been tried at least once; still one email.
      await waitFor('every referral tried', async () => (await t.app.services.storage.deliveries.list({ state: 'waiting' }, 0, 100)).rows.every((r) => r.attempts >= 1), 20_000)
      expect(subjects()).toHaveLength(1)
    } finally {
      crm = await startFakeCharitylog(FAKE_CHARITYLOG_KEYS, port)
    }
    // Two hours pass: every retry put off while it was down (an hour apart at most) falls due.
    advanceTestClock(2 * 60 * 60 * 1000)
    await waitFor('all 50 delivered', async () => (await t.app.services.storage.deliveries.counts()).delivered === 50, 30_000)
    await smtp.waitFor(2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(subjects()).toEqual([expect.stringMatching(/^Charitylog is not answering/), 'Charitylog is working again'])
    expect(smtp.messages[1]!.text).toContain('A referral was delivered to Charitylog on')
    const kinds = (await alertsOf(t)).map((a) => a.kind)
    expect(kinds.filter((k) => k === 'incident')).toHaveLength(1)
    expect(kinds.filter((k) => k === 'recovered')).toHaveLength(1)
    expectNoPersonalData()
  }, 90_000)

  it('Charitylog refusing our key: one email saying how many wait', async () => {
    const t = await app({ CHARITYLOG_USER_KEY: 'a-key-that-was-revoked' })
    for (let i = 0; i < 3; i++) await submit(t.app, 'carers-referral', referral())
    await waitFor('all three held', async () => (await t.app.services.storage.deliveries.counts()).held === 3)
    const [mail] = await smtp.waitFor(1)
    expect(mail!.subject).toMatch(/^Charitylog is refusing our key: [123] referrals? waiting$/)
    expect(mail!.text).toContain('Connections page')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(smtp.messages).toHaveLength(1)
  })

  it('probable spam is gathered: one email for several, and the next not within the hour', async () => {
    const t = await app()
    for (let i = 0; i < 3; i++) {
      const page = await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })
      const res = await t.app.inject({ method: 'POST', url: '/forms/carers-referral', headers: FORM_HEADERS, payload: [form(ownHiddenInputs(page.body)), referral(), form([[HONEYPOT_FIELD, 'http://spam.example']])].join('&') })
      expect(res.statusCode).toBe(303)
    }
    await waitFor('three quarantined', async () => (await t.app.services.storage.deliveries.counts()).quarantined === 3)
    const [mail] = await smtp.waitFor(1)
    expect(mail!.subject).toMatch(/^[123] referrals? kept back as probable spam$/)
    expect(mail!.text).toContain('/admin/deliveries?state=quarantined')
    const pending = (await alertsOf(t)).filter((a) => a.kind === 'quarantined' && a.sent_at === null)
    for (const a of pending) expect(a.due_at).toBeGreaterThanOrEqual(Date.now() + 50 * 60 * 1000)
    expectNoPersonalData()
  })

  it('a form that asks for it: "a new referral arrived", to the form\'s team address too', async () => {
    const t = await app({}, formsWithAlerts())
    const ref = await submit(t.app, 'carers-referral', referral())
    const [mail] = await smtp.waitFor(1)
    expect(mail!.subject).toBe(`New referral ${ref} from ${t.app.services.forms.get('carers-referral')!.definition.title}`)
    expect(mail!.to).toEqual(['carers-team@charity.example', 'team@charity.example'])
    expectNoPersonalData()
  })

  it('the daily summary at its time, once a day, even when all is well', async () => {
    const dataDir = tempDir()
    const env = { ...charitylogEnv(crm), ...smtpEnv(smtp), DIGEST_TIME: '00:00' }
    const t = await buildRelayApp({ dataDir, env })
    apps.push(t)
    const [mail] = await smtp.waitFor(1)
    expect(mail!.subject).toMatch(/^Daily summary, \w+day,? \d+ \w+ \d{4}: all is well$/)
    expect(mail!.text).toContain('Nothing needs staff today.')
    expect(mail!.text).toContain('if it stops coming, the server may be down')
    await t.close()
    apps.splice(apps.indexOf(t), 1)
    // The same day, a restart on the same data: no second summary.
    const again = await buildRelayApp({ dataDir, env })
    try {
      await again.app.services.mail.sender!.idle()
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(smtp.messages).toHaveLength(1)
      expect((await again.app.services.storage.alerts.list(0, 10)).filter((a) => a.kind === 'digest')).toHaveLength(1)
    } finally {
      await again.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('the mail server down, then back: every alert arrives once, none lost, none twice', async () => {
    const t = await app()
    await smtp.stop()
    const refs: string[] = []
    try {
      for (let i = 0; i < 3; i++) {
        crm.faults.nextStatus(400, { error: 'no' })
        refs.push(await submit(t.app, 'carers-referral', referral()))
      }
      await waitFor('three alerts tried and not sent', async () => {
        const list = (await alertsOf(t)).filter((a) => a.kind === 'failed')
        return list.length === 3 && list.every((a) => a.attempts >= 1 && a.sent_at === null)
      })
      const page = await (async () => { const s = new Staff(t.app); await s.signIn(); return s.get('/admin/alerts') })()
      expect(page.body).toContain('The mail server could not be reached')
    } finally {
      await smtp.start()
    }
    await smtp.waitFor(3, 15_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(subjects().sort()).toEqual(refs.map((r) => `Referral ${r} needs staff: it could not be delivered to Charitylog`).sort())
  }, 90_000)

  it('a message the mail server refuses for good is dropped with the reason, not tried again', async () => {
    const t = await app()
    smtp.refuseRecipients = true
    crm.faults.nextStatus(400, { error: 'no' })
    await submit(t.app, 'carers-referral', referral())
    const dropped = await waitFor('the alert dropped', async () => (await alertsOf(t)).find((a) => a.dropped_at !== null))
    expect(dropped.last_error).toBe('The mail server refused the email for good (550)')
    expect(dropped.attempts).toBe(1)
    expect(smtp.messages).toEqual([])
  })
})
