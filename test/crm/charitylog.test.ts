import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCharitylogAdapter, testCharitylogConnection } from '../../src/crm/charitylog.js'
import type { CharitylogPayload, DeliveryOutcome, DeliveryProgress } from '../../src/crm/types.js'
import { CLIENT_TYPES, FAKE_CHARITYLOG_KEYS as KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'

const FAST = { connectMs: 300, headersMs: 300, bodyMs: 300 }
const progress: DeliveryProgress = { ids: {}, save () { throw new Error('Charitylog delivers in one step') } }

const payload: CharitylogPayload = {
  destination: 'charitylog',
  people: [
    { first_name: 'Alice', surname: 'Smith', org_type_id: 7, source: 1, referral_role: 1, project: 7, postcode: 'HR9 7US', description: 'Wants help with getting out & about' },
    { first_name: 'Barry', surname: 'Smith', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
    { first_name: 'Cara', surname: 'Smith', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
    { first_name: 'Dev', surname: 'Smith-Jones', org_type_id: 9, source: 1, referral_role: 2, relationships: { 0: 5 } },
  ],
}

/** No outcome may carry a credential (nor, for failures, a name from the payload). */
function expectNothingSecret (outcome: DeliveryOutcome) {
  const text = JSON.stringify(outcome)
  for (const key of Object.values(KEYS)) expect(text).not.toContain(key)
  if ('reason' in outcome) expect(outcome.reason).not.toMatch(/Alice|Barry|Smith/)
}

describe('Charitylog adapter', () => {
  let fake: FakeCharitylog
  let deliver: (p?: CharitylogPayload) => Promise<DeliveryOutcome>
  beforeEach(async () => {
    fake = await startFakeCharitylog()
    const adapter = createCharitylogAdapter({ apiUrl: fake.url, credentials: KEYS, timeouts: FAST })
    deliver = async (p = payload) => {
      const outcome = await adapter.deliver(p, progress)
      expectNothingSecret(outcome)
      return outcome
    }
  })
  afterEach(() => fake.close())

  it('sends a carer and three cared-for people as one PUT with the keys in headers and PHP bracket notation', async () => {
    expect(await deliver()).toEqual({ kind: 'delivered', crmIds: { id: 5000 }, raw: '{"id":5000}' })
    expect(fake.requests).toHaveLength(1)
    const req = fake.requests[0]!
    expect(req.method).toBe('PUT')
    expect(req.path).toBe('/external_referral')
    expect(req.headers).toMatchObject({
      source: KEYS.sourceKey,
      org: KEYS.orgKey,
      user: KEYS.userKey,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    })
    // Brackets are percent-encoded, as qs and PHP's http_build_query write them.
    expect(req.rawBody.startsWith('0%5Bfirst_name%5D=Alice&0%5Bsurname%5D=Smith&0%5Borg_type_id%5D=7')).toBe(true)
    expect([...new URLSearchParams(req.rawBody)]).toEqual([
      ['0[first_name]', 'Alice'], ['0[surname]', 'Smith'], ['0[org_type_id]', '7'], ['0[source]', '1'],
      ['0[referral_role]', '1'], ['0[project]', '7'], ['0[postcode]', 'HR9 7US'],
      ['0[description]', 'Wants help with getting out & about'],
      ['1[first_name]', 'Barry'], ['1[surname]', 'Smith'], ['1[org_type_id]', '9'], ['1[source]', '1'],
      ['1[referral_role]', '2'], ['1[relationships][0]', '5'],
      ['2[first_name]', 'Cara'], ['2[surname]', 'Smith'], ['2[org_type_id]', '9'], ['2[source]', '1'],
      ['2[referral_role]', '2'], ['2[relationships][0]', '5'],
      ['3[first_name]', 'Dev'], ['3[surname]', 'Smith-Jones'], ['3[org_type_id]', '9'], ['3[source]', '1'],
      ['3[referral_role]', '2'], ['3[relationships][0]', '5'],
    ])
    // What a PHP server would parse: four people, each cared-for person related to person 0.
    expect(fake.referrals[0]!.people).toHaveLength(4)
    expect(fake.referrals[0]!.people[3]).toMatchObject({ first_name: 'Dev', relationships: { 0: '5' } })
  })

  it('asks for a retry when Charitylog answers 503, and delivers on the next attempt', async () => {
    fake.faults.failNext(1)
    const outcome = await deliver()
    expect(outcome).toMatchObject({ kind: 'retry' })
    expect('reason' in outcome && outcome.reason).toMatch(/^Charitylog answered 503 .*will retry/)
    expect(await deliver()).toMatchObject({ kind: 'delivered' })
  })

  it('asks for a retry when Charitylog never answers, after the headers timeout', async () => {
    fake.faults.hangNext(1)
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'Could not reach Charitylog (no answer within 0.3 s); will retry' })
  })

  it('asks for a retry when the answer stalls half-way, after the body timeout', async () => {
    fake.faults.hangNext(1, 'body')
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'Could not reach Charitylog (the answer stalled for 0.3 s); will retry' })
  })

  it('waits for a slow answer that comes within the timeout', async () => {
    fake.faults.delayMs = 100
    expect(await deliver()).toMatchObject({ kind: 'delivered' })
  })

  it('asks for a retry when the connection is refused', async () => {
    await fake.faults.refuseConnections()
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'Could not reach Charitylog (connection refused); will retry' })
  })

  it('holds the referral when the keys are wrong (401), naming the settings to check', async () => {
    const adapter = createCharitylogAdapter({ apiUrl: fake.url, credentials: { ...KEYS, userKey: 'old-rotated-user-key' } })
    const outcome = await adapter.deliver(payload, progress)
    expect(outcome).toEqual({ kind: 'held', reason: 'Charitylog answered 401: the API keys were not accepted. Check CHARITYLOG_* settings' })
    expect(JSON.stringify(outcome)).not.toContain('old-rotated-user-key')
  })

  it('holds the referral when Charitylog answers 403', async () => {
    fake.faults.nextStatus(403, { error: 'Forbidden' })
    expect(await deliver()).toMatchObject({ kind: 'held', reason: expect.stringMatching(/^Charitylog answered 403/) })
  })

  it('rejects the referral when Charitylog answers 400, quoting its answer', async () => {
    const outcome = await deliver({ destination: 'charitylog', people: [{ first_name: 'Alice', org_type_id: 7 }] })
    expect(outcome).toEqual({ kind: 'rejected', reason: 'Charitylog refused the referral (400): Person 0: surname is required' })
  })

  it('removes names and keys that Charitylog echoes in an error answer', async () => {
    fake.faults.nextStatus(500, `Duplicate Alice Smith (header User=${KEYS.userKey})`)
    const outcome = await deliver()
    expect(outcome).toEqual({ kind: 'retry', reason: 'Charitylog answered 500 (busy or unavailable); will retry: Duplicate [removed] [removed] (header User=[removed])' })
  })

  it('cuts a long error answer to 200 characters', async () => {
    fake.faults.nextStatus(422, 'x'.repeat(1000))
    const outcome = await deliver()
    expect(outcome.kind).toBe('rejected')
    expect('reason' in outcome && outcome.reason.length).toBeLessThan(260)
  })

  it('counts a 2xx answer that is not JSON as delivered and keeps it raw', async () => {
    fake.faults.nextStatus(200, 'Referral staged', 'text/plain')
    expect(await deliver()).toEqual({ kind: 'delivered', crmIds: {}, raw: 'Referral staged' })
  })

  it('reads a list of IDs from a 2xx answer, one per person', async () => {
    fake.faults.nextStatus(201, { ids: [71, 72, 73, 74] })
    expect(await deliver()).toMatchObject({ kind: 'delivered', crmIds: { person_0: 71, person_1: 72, person_2: 73, person_3: 74 } })
  })

  it('tests the connection by listing client types', async () => {
    expect(await testCharitylogConnection({ apiUrl: fake.url, credentials: KEYS })).toEqual({ ok: true, data: CLIENT_TYPES })
    const bad = await testCharitylogConnection({ apiUrl: fake.url, credentials: { ...KEYS, orgKey: 'training-org-key' } })
    expect(bad).toEqual({ ok: false, reason: 'Charitylog answered 401: the API keys were not accepted. Check CHARITYLOG_* settings' })
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /dictionary/client_type', 'GET /dictionary/client_type'])
  })
})
