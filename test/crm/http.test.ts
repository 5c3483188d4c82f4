import { MockAgent, errors } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCharitylogAdapter } from '../../src/crm/charitylog.js'
import {
  DEFAULT_TIMEOUTS, bodySnippet, classifyFailure, createHttp, createRedactor, networkReason, statusReason, type CrmName,
} from '../../src/crm/http.js'
import { createLamplightAdapter } from '../../src/crm/lamplight.js'
import type { DeliveryProgress } from '../../src/crm/types.js'

const CHARITYLOG: CrmName = { name: 'Charitylog', env: 'CHARITYLOG' }
const codeError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code })

describe('the failure classifier', () => {
  it.each([
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [401, 'held'], [403, 'held'], [301, 'held'], [200, 'held'],
    [400, 'rejected'], [404, 'rejected'], [409, 'rejected'], [422, 'rejected'],
  ] as const)('classes HTTP %i as %s', (status, cls) => {
    expect(classifyFailure({ type: 'status', status })).toBe(cls)
  })

  it.each([
    [1020, 'held'], [1023, 'held'], [1027, 'held'], [1052, 'held'], [1054, 'held'],
    [1022, 'rejected'], [1024, 'rejected'], [1040, 'rejected'], [1055, 'rejected'], [9999, 'rejected'], [1086, 'rejected'],
    [1058, 'partly_delivered'],
  ] as const)('classes Lamplight error %i as %s', (code, cls) => {
    expect(classifyFailure({ type: 'lamplight', code })).toBe(cls)
  })

  it('retries an unreadable answer only when its status says so', () => {
    expect(classifyFailure({ type: 'unreadable', status: 503 })).toBe('retry')
    expect(classifyFailure({ type: 'unreadable', status: 200 })).toBe('held')
    expect(classifyFailure({ type: 'unreadable', status: 400 })).toBe('held')
  })

  it.each([
    ['a refused connection', codeError('ECONNREFUSED'), 'connection refused'],
    ['a reset connection', codeError('ECONNRESET'), 'connection reset'],
    ['an unknown host', codeError('ENOTFOUND'), 'host name not found'],
    ['a connect timeout', new errors.ConnectTimeoutError(), 'no connection within 10 s'],
    ['a headers timeout', new errors.HeadersTimeoutError(), 'no answer within 30 s'],
    ['a body timeout', new errors.BodyTimeoutError(), 'the answer stalled for 30 s'],
    ['a closed socket', new errors.SocketError('other side closed'), 'connection closed early'],
    ['IPv4 and IPv6 both refused', new AggregateError([codeError('ECONNREFUSED'), codeError('ECONNREFUSED')]), 'connection refused'],
  ])('retries %s, saying so plainly', (_, error, detail) => {
    expect(classifyFailure({ type: 'network', error })).toBe('retry')
    expect(networkReason(CHARITYLOG, error, DEFAULT_TIMEOUTS)).toBe(`Could not reach Charitylog (${detail}); will retry`)
  })

  it('never puts the error message (which may hold a URL) in a reason', () => {
    const error = new Error('getaddrinfo failed for https://lamplight.online/api?key=secret')
    expect(networkReason({ name: 'Lamplight', env: 'LAMPLIGHT' }, error, DEFAULT_TIMEOUTS)).toBe('Could not reach Lamplight (network error); will retry')
  })

  it('gives plain-English reasons for statuses', () => {
    expect(statusReason(CHARITYLOG, 401, '')).toBe('Charitylog answered 401: the API keys were not accepted. Check CHARITYLOG_* settings')
    expect(statusReason(CHARITYLOG, 404, '')).toBe('Charitylog refused the referral (404, not found: check CHARITYLOG_API_URL)')
    expect(statusReason(CHARITYLOG, 302, '')).toMatch(/Check CHARITYLOG_API_URL$/)
  })
})

describe('reason hygiene', () => {
  it('removes secrets and answers but keeps short numbers such as codes and IDs', () => {
    const redact = createRedactor(['key-abcdef', 'Alice', '07700 900982', '7', 22])
    expect(redact('Alice (07700 900982) key-abcdef type 7 area 22')).toBe('[removed] ([removed]) [removed] type 7 area 22')
  })

  it('cuts a body to 200 characters on one line', () => {
    const snippet = bodySnippet(`<html>\n${'a'.repeat(300)}`, (t) => t)
    expect(snippet).toHaveLength(201)
    expect(snippet).not.toContain('\n')
  })
})

describe('adapters over a mock dispatcher with no network', () => {
  let agent: MockAgent
  const progress: DeliveryProgress = { ids: {}, save () {} }
  beforeEach(() => {
    agent = new MockAgent()
    agent.disableNetConnect()
  })
  afterEach(() => agent.close())

  it('sends requests through the injected dispatcher, not the global one', async () => {
    agent.get('https://crm.test').intercept({ path: '/ping', method: 'GET' }).reply(200, 'pong')
    expect(await createHttp({ dispatcher: agent }).send({ method: 'GET', url: 'https://crm.test/ping' }))
      .toEqual({ type: 'response', status: 200, body: 'pong' })
  })

  it('retries a Charitylog connect timeout', async () => {
    agent.get('https://api.dizions.test').intercept({ path: '/v2/external_referral', method: 'PUT' }).replyWithError(new errors.ConnectTimeoutError())
    const adapter = createCharitylogAdapter({ apiUrl: 'https://api.dizions.test/v2', credentials: { sourceKey: 's-key', orgKey: 'o-key', userKey: 'u-key' }, dispatcher: agent })
    expect(await adapter.deliver({ destination: 'charitylog', people: [{ first_name: 'A', surname: 'B', org_type_id: 7 }] }, progress))
      .toEqual({ kind: 'retry', reason: 'Could not reach Charitylog (no connection within 10 s); will retry' })
  })

  it('puts Lamplight credentials in the query string and reads an error code from a 200 answer', async () => {
    agent.get('https://lamplight.test')
      .intercept({ path: '/api/people/add/format/json?key=k-secret&lampid=144&project=2', method: 'POST', body: 'role=user&first_name=A&surname=B' })
      .reply(200, { error: 1020, msg: 'The data in module for work records is not enabled' })
    const adapter = createLamplightAdapter({ apiUrl: 'https://lamplight.test/api/', credentials: { key: 'k-secret', lampid: '144', project: '2' }, dispatcher: agent })
    const outcome = await adapter.deliver({ destination: 'lamplight', attendee: { role: 'user', fields: { first_name: 'A', surname: 'B' } }, referral: { workareaid: 1 } }, progress)
    expect(outcome).toMatchObject({ kind: 'held', reason: expect.stringContaining('(1020: The data in module') })
  })
})
