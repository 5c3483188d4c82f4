/**
 * Privacy of the relay: what the logs and the database file hold, and the deletion of personal data
 * after delivery once the retention period has passed.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliveryState } from '../../src/outbox/delivery-state.js'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import { tempDir, type TestApp } from '../helpers/app.js'
import {
  ALL_FAKE_SECRETS, buildRelayApp, carersBody, charitylogEnv, isDelivered, lamplightEnv, professionalBody, rowOf, submit, waitForRow,
} from '../helpers/relay.js'

const CARER = { first: 'Zanele', surname: 'Quistgaard' }
const CARED_FOR = { first: 'Ottoline', surname: 'Brackenbury' }
const CLIENT = { first: 'Persephone', surname: 'Vanterpool' }
const REFERRER = { first: 'Hildegard', surname: 'Fairweather' }
const REJECTED = { first: 'Casimir', surname: 'Thistlewood' }
const REASON = 'Worried about the eviction notice from Marchmont Lettings'
const PERSONAL = [
  ...[CARER, CARED_FOR, CLIENT, REFERRER, REJECTED].flatMap((p) => [p.first, p.surname]),
  'zanele@example.org', 'persephone@example.net', 'Marchmont', 'eviction', 'Orchard Lane', '07700', '900982', 'SW1A',
]

describe('privacy of a whole relay run', () => {
  let cl: FakeCharitylog
  let ll: FakeLamplight
  const dataDir = tempDir()
  const logs: string[] = []
  const refs = { carer: '', client: '', rejected: '' }
  let env: Record<string, string>

  async function run<T> (extraEnv: Record<string, string>, fn: (t: TestApp) => Promise<T>): Promise<T> {
    const t = await buildRelayApp({ env: { ...env, ...extraEnv }, dataDir })
    try {
      return await fn(t)
    } finally {
      await t.close()
      logs.push(...t.logs)
    }
  }

  beforeAll(async () => {
    cl = await startFakeCharitylog()
    ll = await startFakeLamplight()
    env = { ...charitylogEnv(cl), ...lamplightEnv(ll) }
    cl.faults.failNext(1)
    ll.faults.failNextOn('referral/add', 503)
    await run({}, async (t) => {
      refs.carer = await submit(t.app, 'carers-referral', carersBody(CARER, [CARED_FOR], REASON))
      refs.client = await submit(t.app, 'professional-referral', professionalBody(CLIENT, REFERRER, REASON))
      await waitForRow(t, refs.carer, 'delivered', isDelivered)
      await waitForRow(t, refs.client, 'delivered', isDelivered)
      // A rejection whose body repeats a name and one of the keys: both must be cut from the reason.
      cl.faults.nextStatus(400, { error: `Person 0: surname ${REJECTED.surname} clashes (user ${FAKE_CHARITYLOG_KEYS.userKey})` })
      refs.rejected = await submit(t.app, 'carers-referral', carersBody(REJECTED, [CARED_FOR], REASON))
      const failed = await waitForRow(t, refs.rejected, 'failed', (r) => r.failed_at !== null)
      expect(failed.last_error).toMatch(/^Charitylog refused the referral \(400\)/)
    })
  })
  afterAll(async () => {
    await cl.close()
    await ll.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('logs references and outcomes', () => {
    const text = logs.join('')
    for (const ref of Object.values(refs)) expect(text).toContain(ref)
    expect(text).toContain('Referral delivered')
    expect(text).toContain('Referral not delivered (retry)')
    expect(text).toContain('Referral not delivered (rejected)')
  })

  it('logs no credential, no query string with a key, and no name, email or answer', () => {
    const text = logs.join('')
    for (const secret of ALL_FAKE_SECRETS) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/key=|lampid=|[?&]project=/)
    for (const word of PERSONAL) expect(text).not.toContain(word)
  })

  it('keeps no name, email or answer readable in the database files', () => {
    const files = readdirSync(dataDir).filter((f) => f.startsWith('referrals.db'))
    expect(files).toContain('referrals.db')
    const bytes = Buffer.concat(files.map((f) => readFileSync(path.join(dataDir, f))))
    for (const word of PERSONAL) expect(bytes.includes(word), word).toBe(false)
  })

  it('keeps a CRM answer that repeats the referral back unreadable in the database file', async () => {
    const echo = { first: 'Wilhelmina', surname: 'Ravenscroft' }
    cl.faults.nextStatus(200, { id: 7001, people: [{ first_name: echo.first, surname: echo.surname }] })
    await run({}, async (t) => {
      const ref = await submit(t.app, 'carers-referral', carersBody(echo, [CARED_FOR], REASON))
      const row = await waitForRow(t, ref, 'delivered', isDelivered)
      expect(JSON.parse(row.crm_ids!)).toEqual({ id: 7001 })
    })
    const bytes = Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('referrals.db')).map((f) => readFileSync(path.join(dataDir, f))))
    expect(bytes.includes(echo.surname)).toBe(false)
    expect(bytes.includes(echo.first)).toBe(false)
  })

  it('keeps the personal data of a delivered referral until the retention period has passed', async () => {
    await run({ RETENTION_DAYS: '7' }, async (t) => {
      await t.app.services.relay.worker.idle()
      const row = rowOf(t, refs.carer)
      expect(row.payload).not.toBeNull()
      expect((await t.app.services.storage.submissions.readPersonalData(row.reference))?.payload).toMatchObject({ destination: 'charitylog' })
    })
  })

  it('deletes payload and answers after delivery and retention, keeping reference, form, timestamps and CRM ids', async () => {
    await run({ RETENTION_DAYS: '0' }, async (t) => {
      for (const ref of [refs.carer, refs.client]) {
        const row = await waitForRow(t, ref, 'purged', (r) => r.purged_at !== null)
        expect(row).toMatchObject({ reference: ref, payload: null, answers: null, progress: null, crm_response: null })
        expect(row.form_id).toBe(ref === refs.carer ? 'carers-referral' : 'professional-referral')
        expect(row.created_at).toBeGreaterThan(0)
        expect(row.delivered_at).toBeGreaterThan(0)
        expect(deliveryState(row)).toBe('delivered')
        expect(JSON.parse(row.crm_ids!)).toEqual(ref === refs.carer ? { id: 5000 } : { attendee: 600, referrer: 601, referral: 30939 })
        expect((await t.app.services.storage.outbox.attempts(row.id)).map((a) => a.outcome)).toEqual(['retry', 'delivered'])
        expect(await t.app.services.storage.submissions.readPersonalData(row.reference)).toBeUndefined()
      }
      // A failed referral still waits for staff, with everything they need.
      const failed = rowOf(t, refs.rejected)
      expect(failed.payload).not.toBeNull()
      expect(failed.purged_at).toBeNull()
      expect(t.logs.join('')).toContain('Deleted the personal data of delivered referrals past the retention period')
    })
  })
})
