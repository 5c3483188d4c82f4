/**
 * The exact requests the CRMs receive for submissions made through the real app: each example form
 * posted with `inject`, delivered by the worker over real HTTP to the fake CRMs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ukToday } from '../../src/forms/today.js'
import { FAKE_CHARITYLOG_KEYS as CL_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { FAKE_LAMPLIGHT_KEYS as LL_KEYS, startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import type { TestApp } from '../helpers/app.js'
import {
  buildRelayApp, carersBody, charitylogEnv, expectLogsClean, isDelivered, lamplightEnv, professionalBody, rowOf, submit, testClock, waitForRow,
} from '../helpers/relay.js'

let t: TestApp | undefined
let fakes: Array<FakeCharitylog | FakeLamplight> = []
afterEach(async () => {
  await t?.close()
  if (t) expectLogsClean(t.logs, ['Alice', 'Okafor', 'Barry', 'Mensah', 'Patel', 'Rhona', 'example.org', 'example.net', 'benefits', 'Orchard Lane', 'I look after'])
  t = undefined
  await Promise.all(fakes.map((f) => f.close()))
  fakes = []
})

async function charitylogApp () {
  const fake = await startFakeCharitylog()
  fakes.push(fake)
  t = await buildRelayApp({ env: charitylogEnv(fake) })
  return { fake, t }
}

describe('what Charitylog receives', () => {
  it('gets the carers form as one PUT with the keys in the Source, Org and User headers and the people in bracket notation', async () => {
    const { fake, t } = await charitylogApp()
    const ref = await submit(t.app, 'carers-referral', carersBody({ first: 'Alice', surname: 'Okafor' }, [{ first: 'Barry', surname: 'Okafor' }]))
    const row = await waitForRow(t, ref, 'delivered', isDelivered)

    expect(fake.requests).toHaveLength(1)
    const req = fake.requests[0]!
    expect(`${req.method} ${req.path}`).toBe('PUT /external_referral')
    expect(req.query).toEqual({})
    expect(req.headers).toMatchObject({
      source: CL_KEYS.sourceKey,
      org: CL_KEYS.orgKey,
      user: CL_KEYS.userKey,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    })
    expect(req.rawBody).toMatch(/^0%5Bfirst_name%5D=Alice&/)
    expect([...new URLSearchParams(req.rawBody)]).toEqual([
      ['0[first_name]', 'Alice'], ['0[surname]', 'Okafor'], ['0[email]', 'alice@example.org'], ['0[tel1]', '01989 567890'],
      ['0[address1]', '1 Orchard Lane'], ['0[postcode]', 'HR9 7US'], ['0[ethnicity]', '35'],
      ['0[org_type_id]', '7'], ['0[source]', '1'], ['0[referral_role]', '1'], ['0[project]', '7'],
      ['0[description]', 'I look after my parents and need a break\n\nHow did you hear about us?: GP or health worker'],
      ['1[first_name]', 'Barry'], ['1[surname]', 'Okafor'], ['1[date_of_birth]', '1940-04-03'],
      ['1[org_type_id]', '9'], ['1[source]', '1'], ['1[referral_role]', '2'], ['1[relationships][0]', '5'],
    ])
    expect(fake.referrals).toHaveLength(1)
    expect(row.crm_ids).toBe(JSON.stringify({ id: 5000 }))
    // The raw answer is kept, sealed like the payload (a CRM may repeat the referral back).
    expect(row.crm_response).not.toBeNull()
    expect((await t.app.services.storage.submissions.readPersonalData(ref))?.crmResponse).toBe('{"id":5000}')
    expect(row.attempts).toBe(1)
  })

  it('gets a carer with three cared-for people, each related to person 0', async () => {
    const { fake, t } = await charitylogApp()
    const caredFor = [{ first: 'Barry', surname: 'Okafor' }, { first: 'Cara', surname: 'Mensah' }, { first: 'Dev', surname: 'Patel-Jones' }]
    const ref = await submit(t.app, 'carers-referral', carersBody({ first: 'Alice', surname: 'Okafor' }, caredFor))
    await waitForRow(t, ref, 'delivered', isDelivered)

    expect(fake.requests).toHaveLength(1)
    const pairs = [...new URLSearchParams(fake.requests[0]!.rawBody)]
    for (const [i, p] of caredFor.entries()) {
      const n = i + 1
      expect(pairs.filter(([k]) => k.startsWith(`${n}[`))).toEqual([
        [`${n}[first_name]`, p.first], [`${n}[surname]`, p.surname], [`${n}[date_of_birth]`, `${1940 + i}-04-0${i + 3}`],
        [`${n}[org_type_id]`, '9'], [`${n}[source]`, '1'], [`${n}[referral_role]`, '2'], [`${n}[relationships][0]`, '5'],
      ])
    }
    expect(pairs.some(([k]) => k.startsWith('4['))).toBe(false)
    // Project and description only on the first person.
    expect(pairs.filter(([k]) => /\[(project|description)\]$/.test(k)).map(([k]) => k)).toEqual(['0[project]', '0[description]'])
    const people = fake.referrals[0]!.people
    expect(people.map((p) => p.first_name)).toEqual(['Alice', 'Barry', 'Cara', 'Dev'])
    expect(people.slice(1).map((p) => p.relationships)).toEqual([{ 0: '5' }, { 0: '5' }, { 0: '5' }])
  })
})

describe('what Lamplight receives', () => {
  it('gets the professional form as two profiles then the referral, the credentials only in the query string', async () => {
    const fake = await startFakeLamplight()
    fakes.push(fake)
    t = await buildRelayApp({ env: lamplightEnv(fake) })
    const ref = await submit(t.app, 'professional-referral', professionalBody({ first: 'Alice', surname: 'Okafor' }, { first: 'Rhona', surname: 'Jones' }))
    const row = await waitForRow(t, ref, 'delivered', isDelivered)

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /people/add/format/json', 'POST /people/add/format/json', 'POST /referral/add/format/json',
    ])
    for (const r of fake.requests) {
      expect(r.query).toEqual({ key: LL_KEYS.key, lampid: LL_KEYS.lampid, project: LL_KEYS.project })
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded')
      for (const secret of Object.values(LL_KEYS)) expect(r.rawBody).not.toContain(secret)
      for (const name of ['key', 'lampid', 'project']) expect(r.body).not.toHaveProperty(name)
    }
    expect([...new URLSearchParams(fake.requests[0]!.rawBody)]).toEqual([
      ['role', 'user'], ['first_name', 'Alice'], ['surname', 'Okafor'], ['email', 'alice@example.net'],
      ['mobile', '07700900982'], ['postcode', 'SW1A 1AA'],
    ])
    expect([...new URLSearchParams(fake.requests[1]!.rawBody)]).toEqual([
      ['role', 'contact'], ['first_name', 'Rhona'], ['surname', 'Jones'], ['email', 'rhona@council.example.gov.uk'],
    ])
    // `<` and `>` are gone (Lamplight would refuse the whole request with 9999); the date is the app's "today" in the UK.
    expect([...new URLSearchParams(fake.requests[2]!.rawBody)]).toEqual([
      ['referral_reason', 'Needs help with bbenefits/b & debts'], ['date_from', ukToday(testClock())], ['workareaid', '22'],
      ['Urgency_level', 'High'], ['attendee', '600'], ['referrer', '601'],
    ])
    expect(fake.profiles.map((p) => p.role)).toEqual(['user', 'contact'])
    expect(fake.referrals).toHaveLength(1)
    expect(JSON.parse(row.crm_ids!)).toEqual({ attendee: 600, referrer: 601, referral: 30939 })
    expect(rowOf(t, ref).attempts).toBe(1)
  })
})
