import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLamplightAdapter, testLamplightConnection } from '../../src/crm/lamplight.js'
import type { CrmAdapter, DeliveryProgress, LamplightPayload } from '../../src/crm/types.js'
import { FAKE_LAMPLIGHT_KEYS as KEYS, WORKAREAS, startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'

const FAST = { connectMs: 300, headersMs: 300, bodyMs: 300 }

const withReferrer: LamplightPayload = {
  destination: 'lamplight',
  attendee: { role: 'user', fields: { first_name: 'Alice', surname: 'Smith', postcode: 'HR9 7US', mobile: '07700 900982' } },
  referrer: { role: 'contact', fields: { first_name: 'Rhona', surname: 'Jones', email: 'rhona@example.org' } },
  referral: { referral_reason: 'Needs help with <b>benefits</b>', date_from: '2025-05-01', workareaid: 22, Urgency_level: 'High' },
}
const selfReferral: LamplightPayload = { ...withReferrer, referrer: undefined }

function memoryProgress (): DeliveryProgress & { saved: Array<[string, string | number]> } {
  const ids: Record<string, string | number> = {}
  const saved: Array<[string, string | number]> = []
  return { ids, saved, save (key, id) { ids[key] = id; saved.push([key, id]) } }
}

describe('Lamplight adapter', () => {
  let fake: FakeLamplight
  let adapter: CrmAdapter
  let progress: ReturnType<typeof memoryProgress>
  const deliver = async (payload: LamplightPayload = withReferrer) => {
    const outcome = await adapter.deliver(payload, progress)
    // No outcome may carry a credential, the query string, or a name.
    const text = JSON.stringify(outcome)
    for (const secret of [KEYS.key, `lampid=${KEYS.lampid}`, KEYS.project, 'Alice', 'Rhona']) expect(text).not.toContain(secret)
    return outcome
  }
  beforeEach(async () => {
    fake = await startFakeLamplight()
    adapter = createLamplightAdapter({ apiUrl: fake.url, credentials: KEYS, timeouts: FAST })
    progress = memoryProgress()
  })
  afterEach(() => fake.close())

  it('sends two profiles then the referral, with the credentials only in the query string', async () => {
    expect(await deliver()).toEqual({ kind: 'delivered', crmIds: { attendee: 600, referrer: 601, referral: 30939 } })
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /people/add/format/json', 'POST /people/add/format/json', 'POST /referral/add/format/json',
    ])
    for (const r of fake.requests) {
      expect(r.query).toEqual(KEYS)
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded')
      for (const secret of Object.values(KEYS)) expect(r.rawBody).not.toContain(secret)
    }
    expect(fake.requests[0]!.rawBody).toBe('role=user&first_name=Alice&surname=Smith&postcode=HR9+7US&mobile=07700+900982')
    expect(fake.requests[1]!.rawBody).toBe('role=contact&first_name=Rhona&surname=Jones&email=rhona%40example.org')
    // `<` and `>` are stripped from every value: Lamplight answers 9999 to anything like a tag.
    expect([...new URLSearchParams(fake.requests[2]!.rawBody)]).toEqual([
      ['referral_reason', 'Needs help with bbenefits/b'], ['date_from', '2025-05-01'], ['workareaid', '22'],
      ['Urgency_level', 'High'], ['attendee', '600'], ['referrer', '601'],
    ])
    expect(progress.saved).toEqual([['attendee', 600], ['referrer', 601], ['referral', 30939]])
  })

  it('names the attendee as their own referrer on a self-referral, in two requests', async () => {
    expect(await deliver(selfReferral)).toEqual({ kind: 'delivered', crmIds: { attendee: 600, referral: 30939 } })
    expect(fake.requests).toHaveLength(2)
    expect(fake.referrals[0]!.fields).toMatchObject({ attendee: '600', referrer: '600' })
  })

  it('reuses the saved profile after a failure at the referral step, so the retry creates no second profile', async () => {
    fake.faults.failNextOn('referral/add', 503)
    expect(await deliver(selfReferral)).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^Lamplight answered 503/) })
    expect(await deliver(selfReferral)).toEqual({ kind: 'delivered', crmIds: { attendee: 600, referral: 30939 } })
    expect(fake.profiles).toHaveLength(1)
    expect(fake.requests.map((r) => r.path.split('/')[1])).toEqual(['people', 'referral', 'referral'])
  })

  it('reuses the attendee after a failure at the referrer step', async () => {
    fake.faults.failNextOn('people/add', 503, { skip: 1 })
    expect(await deliver()).toMatchObject({ kind: 'retry' })
    expect(await deliver()).toEqual({ kind: 'delivered', crmIds: { attendee: 600, referrer: 601, referral: 30939 } })
    expect(fake.profiles.map((p) => p.fields.first_name)).toEqual(['Alice', 'Rhona'])
  })

  it('holds the referral when Lamplight has no permission to add profiles (1054)', async () => {
    fake.faults.nextError('people/add', 1054)
    expect(await deliver()).toEqual({
      kind: 'held',
      reason: "Lamplight would not accept the attendee's profile (1054: No permission to add profiles of this type). Check the publishing settings in Lamplight and LAMPLIGHT_* settings",
    })
    expect(fake.requests).toHaveLength(1)
  })

  it('holds the referral when the credentials are wrong', async () => {
    adapter = createLamplightAdapter({ apiUrl: fake.url, credentials: { ...KEYS, key: 'renewed-key-0000' } })
    const outcome = await deliver()
    expect(outcome).toMatchObject({ kind: 'held', reason: expect.stringContaining('(1027: ') })
    expect(JSON.stringify(outcome)).not.toContain('renewed-key-0000')
  })

  it('rejects referral data Lamplight finds invalid (1040)', async () => {
    expect(await deliver({ ...withReferrer, referral: { ...withReferrer.referral, workareaid: 99 } })).toEqual({
      kind: 'rejected', reason: 'Lamplight refused the referral data (1040: Referral data provided was not valid)',
    })
  })

  it('rejects the referral when Lamplight sees an attack (9999)', async () => {
    fake.faults.nextError('people/add', 9999)
    expect(await deliver()).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^Lamplight refused the attendee's profile \(9999: Data provided may/) })
  })

  it('rejects a profile with an invalid postcode (1055)', async () => {
    const bad = { ...withReferrer, attendee: { role: 'user' as const, fields: { first_name: 'Alice', surname: 'Smith', postcode: 'hr97us' } } }
    expect(await deliver(bad)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('(1055: ') })
  })

  it('goes on to the referral when a profile lost custom fields (1058) but has an ID, ending partly delivered', async () => {
    fake.faults.nextError('people/add', 1058, { withId: true })
    const outcome = await deliver()
    expect(outcome).toEqual({
      kind: 'partly_delivered',
      crmIds: { attendee: 600, referrer: 601, referral: 30939 },
      reason: "Lamplight saved the attendee's profile but not some custom fields (1058: Problem saving some custom fields (core details will have been saved)). Staff must finish it in Lamplight",
    })
  })

  it('stops partly delivered when a profile lost custom fields (1058) and no ID can be read', async () => {
    fake.faults.nextError('people/add', 1058)
    expect(await deliver()).toMatchObject({ kind: 'partly_delivered', crmIds: {}, reason: expect.stringContaining('held no profile ID') })
    expect(fake.requests).toHaveLength(1)
  })

  it('remembers a 1058 across a retry, so the final outcome is still partly delivered', async () => {
    fake.faults.nextError('people/add', 1058, { withId: true })
    fake.faults.failNextOn('referral/add', 502)
    expect(await deliver(selfReferral)).toMatchObject({ kind: 'retry' })
    expect(await deliver(selfReferral)).toMatchObject({ kind: 'partly_delivered', crmIds: { attendee: 600, referral: 30939 } })
  })

  it('counts a referral that lost custom fields (1058) as partly delivered', async () => {
    fake.faults.nextError('referral/add', 1058, { withId: true })
    expect(await deliver()).toMatchObject({ kind: 'partly_delivered', crmIds: { attendee: 600, referrer: 601, referral: 30939 } })
  })

  it.each(['object', 'string'] as const)('accepts a people/add answer with the ID as %s', async (shape) => {
    fake.faults.profileIdShape = shape
    expect(await deliver()).toEqual({ kind: 'delivered', crmIds: { attendee: 600, referrer: 601, referral: 30939 } })
    expect(fake.referrals[0]!.fields).toMatchObject({ attendee: '600', referrer: '601' })
  })

  it('asks for a retry when Lamplight never answers', async () => {
    fake.faults.hangNext(1)
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'Could not reach Lamplight (no answer within 0.3 s); will retry' })
  })

  it('asks for a retry when the connection is refused', async () => {
    await fake.faults.refuseConnections()
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'Could not reach Lamplight (connection refused); will retry' })
  })

  it('holds the referral when a 2xx answer is not JSON (a wrong API URL), but retries a non-JSON 503', async () => {
    fake.faults.failNextOn('people/add', 200)
    expect(await deliver()).toMatchObject({ kind: 'held', reason: expect.stringContaining('not its API\'s JSON') })
    fake.faults.failNext(1)
    expect(await deliver()).toMatchObject({ kind: 'retry' })
  })

  it('tests the connection by listing workareas', async () => {
    expect(await testLamplightConnection({ apiUrl: fake.url, credentials: KEYS })).toEqual({ ok: true, data: WORKAREAS })
    const bad = await testLamplightConnection({ apiUrl: fake.url, credentials: { ...KEYS, lampid: '1' } })
    expect(bad).toMatchObject({ ok: false, reason: expect.stringContaining('(1027: ') })
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/workarea/all/format/json', query: KEYS, rawBody: '' })
  })
})
