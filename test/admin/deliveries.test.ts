/**
 * Deliveries on the staff pages: counts per state, the list (newest first, filters, pages), a
 * referral's page (attempts; answers only while not delivered), the banner, and the actions: retry a
 * failed referral against the fake Charitylog, mark as handled, release or delete a quarantined one.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DELIVERY_STATE_SQL, deliveryState, type DeliveryState } from '../../src/outbox/delivery-state.js'
import { startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { carersBody, charitylogEnv, FAST_RELAY, rowOf, submit, testClock, waitForRow } from '../helpers/relay.js'
import { buildAdminApp, signedIn, type AdminTestApp, type AdminTestOptions, type Staff } from './helpers.js'
import { attemptRows, rawRow, sqliteOf, type SubmissionRow } from '../helpers/sqlite.js'

const apps: AdminTestApp[] = []
const fakes: FakeCharitylog[] = []
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  for (const f of fakes.splice(0)) await f.close()
})
async function setUp (opts: AdminTestOptions = {}): Promise<{ t: AdminTestApp, staff: Staff }> {
  const t = await buildAdminApp(opts)
  apps.push(t)
  return { t, staff: await signedIn(t.app) }
}

const T0 = Date.parse('2026-06-15T09:00:00Z')
const FACTS: Record<DeliveryState, string> = {
  waiting: '',
  held: "held_reason = 'Charitylog is not configured: set CHARITYLOG_ORG_KEY and restart the server', next_attempt_at = NULL",
  delivered: "delivered_at = created_at + 1000, attempts = 1, crm_ids = '{\"id\":5000}', next_attempt_at = NULL",
  failed: "failed_at = created_at + 1000, attempts = 1, last_error = 'Charitylog answered 400 (the data was refused)', next_attempt_at = NULL",
  partly_delivered: "partly_delivered_at = created_at + 1000, attempts = 1, last_error = 'Lamplight saved the attendee but not some custom fields (1058)'",
  handled: 'failed_at = created_at + 1000, handled_at = created_at + 2000, attempts = 1, next_attempt_at = NULL',
  quarantined: '',
}

/** Stores a referral straight into the outbox and sets the facts of `state`; returns its reference. */
async function storeRow (t: AdminTestApp, state: DeliveryState, at: number, formId = 'carers-referral', name = 'Ann'): Promise<string> {
  const { reference } = await t.app.services.storage.submissions.insertOnce({
    formId,
    formHash: 'abc',
    destination: 'charitylog',
    payload: { destination: 'charitylog', people: [{ first_name: name, surname: 'Example', org_type_id: 7 }] },
    answers: [{ heading: 'About you', items: [{ label: 'First name', answer: name }, { label: 'Last name', answer: 'Example' }] }],
  }, at, state === 'quarantined' ? { quarantineReason: 'The hidden anti-spam field was filled in' } : {})
  if (FACTS[state]) sqliteOf(t.app).prepare(`UPDATE submissions SET ${FACTS[state]} WHERE reference = ?`).run(reference)
  return reference
}

const row = (t: AdminTestApp, ref: string): SubmissionRow => rawRow(t.app, ref)!
const actions = (t: AdminTestApp) => sqliteOf(t.app).prepare("SELECT action, subject FROM audit_log WHERE action NOT LIKE 'sign-%' AND action != 'answers viewed' ORDER BY id").all()

describe('the deliveries list', () => {
  it('counts referrals per state, lists them newest first, and filters by state and by form', async () => {
    const { t, staff } = await setUp()
    const states: DeliveryState[] = ['waiting', 'held', 'delivered', 'failed', 'partly_delivered', 'handled', 'quarantined']
    const refs = await Promise.all(states.map((s, i) => storeRow(t, s, T0 + i * 60_000, i % 2 === 0 ? 'carers-referral' : 'professional-referral')))
    const res = await staff.get('/admin/deliveries')
    expect(res.statusCode).toBe(200)
    for (const label of ['Waiting', 'Held', 'Delivered', 'Failed', 'Partly delivered', 'Handled by hand', 'Quarantined']) {
      expect(res.body).toContain(`<span class="count">1</span> ${label}</a>`)
    }
    const listed = [...res.body.matchAll(/href="\/admin\/deliveries\/([A-Z0-9]{8})"/g)].map((m) => m[1])
    expect(listed).toEqual([...refs].reverse())
    expect(res.body).toContain('<caption>7 referrals, newest first</caption>')
    expect(res.body).toContain('Charitylog answered 400 (the data was refused)')
    expect(res.body).toContain('<time datetime="2026-06-15T09:00:00.000Z">15 Jun 2026, 10:00</time>')

    const failed = await staff.get('/admin/deliveries?state=failed')
    expect([...failed.body.matchAll(/href="\/admin\/deliveries\/([A-Z0-9]{8})"/g)].map((m) => m[1])).toEqual([refs[3]])
    const byForm = await staff.get('/admin/deliveries?form=professional-referral')
    expect([...byForm.body.matchAll(/href="\/admin\/deliveries\/([A-Z0-9]{8})"/g)].map((m) => m[1])).toEqual([refs[5], refs[3], refs[1]])
    expect(byForm.body).toContain('<option value="professional-referral" selected>')
  })

  it('works the state out in SQL exactly as deliveryState does, for every state', async () => {
    const { t } = await setUp()
    const states: DeliveryState[] = ['waiting', 'held', 'delivered', 'failed', 'partly_delivered', 'handled', 'quarantined']
    for (const [i, s] of states.entries()) await storeRow(t, s, T0 + i)
    const rows = sqliteOf(t.app).prepare(`SELECT *, ${DELIVERY_STATE_SQL} AS sql_state FROM submissions`).all() as Array<SubmissionRow & { sql_state: string }>
    expect(rows.map((r) => [deliveryState(r), r.sql_state])).toEqual(states.map((s) => [s, s]))
  })

  it('shows 50 referrals a page with links to the next and previous pages', async () => {
    const { t, staff } = await setUp()
    for (let i = 0; i < 55; i++) await storeRow(t, 'waiting', T0 + i * 1000)
    const first = await staff.get('/admin/deliveries?state=waiting')
    expect(first.body.match(/href="\/admin\/deliveries\/[A-Z0-9]{8}"/g)).toHaveLength(50)
    expect(first.body).toContain('Page 1 of 2')
    expect(first.body).toContain('href="/admin/deliveries?state=waiting&amp;page=2"')
    const second = await staff.get('/admin/deliveries?state=waiting&page=2')
    expect(second.body.match(/href="\/admin\/deliveries\/[A-Z0-9]{8}"/g)).toHaveLength(5)
    expect(second.body).toContain('href="/admin/deliveries?state=waiting&amp;page=1"')
  })

  it('shows the CRM record IDs in words, and says the table scrolls sideways on a narrow screen', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'delivered', T0)
    sqliteOf(t.app).prepare('UPDATE submissions SET crm_ids = ? WHERE reference = ?').run('{"attendee":600,"referral":30939}', ref)
    expect((await staff.get(`/admin/deliveries/${ref}`)).body).toContain('<dt>CRM record IDs</dt><dd>attendee 600, referral 30939</dd>')
    const list = await staff.get('/admin/deliveries')
    expect(list.body).toContain('<div class="table-wrap" role="region" aria-label="Referrals (scrolls sideways on a narrow screen)" tabindex="0">')
  })

  it('leaves out of the banner what waits only for a CRM to be set up, and the form editor shows no banner', async () => {
    const { t, staff } = await setUp()
    const reason = t.app.services.relay.crms.notConfigured.charitylog!
    const ref = await storeRow(t, 'waiting', T0)
    sqliteOf(t.app).prepare('UPDATE submissions SET held_reason = ?, next_attempt_at = NULL WHERE reference = ?').run(reason, ref)
    expect((await staff.get('/admin/forms')).body).not.toContain('Referrals need you')
    await storeRow(t, 'failed', T0)
    expect((await staff.get('/admin/forms')).body).toContain('<h2 class="notification-banner__title" id="attention-title">Referrals need you</h2>')
    expect((await staff.get('/admin/forms/carers-referral/edit')).body).not.toContain('Referrals need you')
  })

  it('puts a banner on every staff page while referrals are failed, held or partly delivered', async () => {
    const { t, staff } = await setUp()
    expect((await staff.get('/admin/forms')).body).not.toContain('Referrals need you')
    await storeRow(t, 'failed', T0)
    await storeRow(t, 'held', T0)
    await storeRow(t, 'held', T0)
    for (const url of ['/admin/forms', '/admin/deliveries', '/admin/connections', '/admin/audit']) {
      const page = await staff.get(url)
      expect(page.body, url).toContain('Referrals need you')
      expect(page.body).toContain('1 failed, 2 held: they wait for staff.')
      expect(page.body).toContain('href="/admin/deliveries?state=failed"')
    }
  })
})

describe('a referral\'s page', () => {
  it('shows the facts, the answers of a referral not yet delivered, and what staff can do', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'failed', T0, 'carers-referral', 'Morwenna')
    const res = await staff.get(`/admin/deliveries/${ref}`)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(`Referral ${ref}`)
    expect(res.body).toContain('Charitylog answered 400 (the data was refused)')
    expect(res.body).toContain('<th scope="row">First name</th><td>Morwenna</td>')
    expect(res.body).toContain('Retry now')
    expect(res.body).toContain('Mark as handled by hand')
    expect((await staff.get(`/admin/deliveries/${ref.toLowerCase()}`)).statusCode).toBe(200)
  })

  it('never shows the answers of a delivered referral', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'delivered', T0, 'carers-referral', 'Evander')
    const res = await staff.get(`/admin/deliveries/${ref}`)
    expect(res.body).toContain('Delivered')
    expect(res.body).not.toContain('Evander')
    expect(res.body).not.toContain('Retry now')
  })

  it('answers 404 for an unknown or malformed reference', async () => {
    const { staff } = await setUp()
    expect((await staff.get('/admin/deliveries/ABCDEFGH')).statusCode).toBe(404)
    expect((await staff.get('/admin/deliveries/not-a-ref')).statusCode).toBe(404)
    expect((await staff.post('/admin/deliveries/ABCDEFGH/retry')).statusCode).toBe(404)
  })
})

describe('putting deliveries right', () => {
  it('retries a failed referral against the fake Charitylog once it accepts again, and records who did it', async () => {
    const fake = await startFakeCharitylog()
    fakes.push(fake)
    const { t, staff } = await setUp({ env: charitylogEnv(fake), relay: FAST_RELAY, startWorker: true, clock: testClock })
    fake.faults.nextStatus(400, { error: 'Person 0: org_type_id is not valid' })
    const ref = await submit(t.app, 'carers-referral', carersBody({ first: 'Morwenna', surname: 'Trelawney' }, [{ first: 'Tamsin', surname: 'Trelawney' }]))
    await waitForRow(t, ref, 'failed', (r) => r.failed_at !== null)
    const page = await staff.get(`/admin/deliveries/${ref}`)
    expect(page.body).toContain('Failed')
    expect(page.body).toContain('Charitylog refused the referral (400)')
    expect(page.body).toContain('<td>Refused by the CRM</td>')
    const res = await staff.post(`/admin/deliveries/${ref}/retry`)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/admin/deliveries/${ref}`)
    expect((await staff.get(`/admin/deliveries/${ref}`)).body).toContain('It is being sent again now.')
    const delivered = await waitForRow(t, ref, 'delivered', (r) => r.delivered_at !== null)
    expect(deliveryState(delivered)).toBe('delivered')
    expect(fake.referrals).toHaveLength(1)
    const after = await staff.get(`/admin/deliveries/${ref}`)
    expect(after.body).toContain('<td>Delivered</td>')
    expect(after.body).not.toContain('Morwenna')
    expect(actions(t)).toEqual([{ action: 'retry', subject: ref }])
    expect(attemptRows(t.app, rowOf(t, ref).id).map((a) => a.outcome)).toEqual(['rejected', 'delivered'])
  })

  it('offers the set-up, not a retry, for a referral held because its CRM is not set up; a retry asked for anyway says it will be held again', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'held', T0)
    const page = await staff.get(`/admin/deliveries/${ref}`)
    expect(page.body).toContain('Set up the connection (<a href="/admin/connections">Connections</a> says which settings are missing)')
    expect(page.body).not.toContain('>Retry now</button>')
    expect(page.body).toContain('>Mark as handled by hand</button>')
    expect(page.body.match(/Charitylog is not configured/g)).toHaveLength(1) // said once, as why it is held
    await staff.post(`/admin/deliveries/${ref}/retry`)
    expect((await staff.get(`/admin/deliveries/${ref}`)).body).toContain('It will be held again at once')
    expect(row(t, ref).held_reason).toBeNull()
    expect(row(t, ref).next_attempt_at).toBe(Date.parse('2026-06-15T12:00:00Z'))
  })

  it('does not retry a referral the worker is sending right now (its lease is kept, so it is not sent twice)', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'waiting', T0)
    const lease = Date.parse('2026-06-15T12:04:00Z')
    sqliteOf(t.app).prepare('UPDATE submissions SET lease_until = ? WHERE reference = ?').run(lease, ref)
    const page = await staff.get(`/admin/deliveries/${ref}`)
    expect(page.body).toContain('It is being sent right now.')
    expect(page.body).not.toContain('Retry now')
    await staff.post(`/admin/deliveries/${ref}/retry`)
    expect(row(t, ref).lease_until).toBe(lease)
    expect(actions(t)).toEqual([])
  })

  it('marks a failed referral as handled by hand: never sent again, no longer needing staff', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'failed', T0)
    const res = await staff.post(`/admin/deliveries/${ref}/handled`)
    expect(res.statusCode).toBe(303)
    const page = await staff.get(`/admin/deliveries/${ref}`)
    expect(page.body).toContain('Marked as handled by hand.')
    expect(page.body).toContain('Handled by hand')
    expect(page.body).not.toContain('Referrals need you')
    expect(page.body).not.toContain('Retry now')
    expect(deliveryState(row(t, ref))).toBe('handled')
    await staff.post(`/admin/deliveries/${ref}/retry`)
    expect((await staff.get(`/admin/deliveries/${ref}`)).body).toContain('This referral cannot be retried: it is handled by hand.')
    expect(row(t, ref).next_attempt_at).toBeNull()
    expect(actions(t)).toEqual([{ action: 'marked handled', subject: ref }])
  })

  it('deletes the answers of a referral handled by hand after the retention period, as for a delivered one', async () => {
    const { t } = await setUp()
    const handled = await storeRow(t, 'handled', T0)
    const failed = await storeRow(t, 'failed', T0)
    const purged = await t.app.services.storage.outbox.purgeDelivered(T0 + 10_000, T0 + 20_000)
    expect(purged).toBe(1)
    expect(row(t, handled).answers).toBeNull()
    expect(row(t, failed).answers).not.toBeNull()
  })

  it('releases a quarantined referral so it is sent like any other', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'quarantined', T0)
    const page = await staff.get(`/admin/deliveries/${ref}`)
    expect(page.body).toContain('The hidden anti-spam field was filled in')
    expect(page.body).toContain('Release: it is genuine')
    await staff.post(`/admin/deliveries/${ref}/release`)
    expect(deliveryState(row(t, ref))).toBe('waiting')
    expect(row(t, ref).next_attempt_at).toBe(Date.parse('2026-06-15T12:00:00Z'))
    expect(actions(t)).toEqual([{ action: 'released', subject: ref }])
  })

  it('deletes a quarantined referral after asking, and only a quarantined one', async () => {
    const { t, staff } = await setUp()
    const ref = await storeRow(t, 'quarantined', T0)
    const other = await storeRow(t, 'failed', T0)
    const ask = await staff.get(`/admin/deliveries/${ref}/delete`)
    expect(ask.body).toContain(`Delete referral ${ref}?`)
    const res = await staff.post(`/admin/deliveries/${ref}/delete`)
    expect(res.headers.location).toBe('/admin/deliveries?state=quarantined')
    expect(rawRow(t.app, ref)).toBeUndefined()
    expect((await staff.get(`/admin/deliveries/${other}/delete`)).statusCode).toBe(404)
    await staff.post(`/admin/deliveries/${other}/delete`)
    expect(rawRow(t.app, other)).toBeDefined()
    await staff.post(`/admin/deliveries/${other}/release`)
    expect(deliveryState(row(t, other))).toBe('failed')
    expect(actions(t)).toEqual([{ action: 'deleted', subject: ref }])
  })
})
