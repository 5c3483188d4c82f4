/**
 * Spam without a captcha (issue 4, item 4): a honeypot field and a minimum fill time taken from the
 * token. A caught submission looks accepted (303, a confirmation with a reference) but is stored
 * quarantined: never claimed by the delivery worker.
 */
import { rawRow } from '../helpers/sqlite.js'
import { afterEach, describe, expect, it } from 'vitest'
import { HONEYPOT_FIELD } from '../../src/forms/view-model.js'
import { UNTIMED_TOKENS_PER_HOUR } from '../../src/routes/forms.js'
import { TOKEN_TTL_MS } from '../../src/security/form-token.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { attrs, byId, tags } from '../helpers/html-fragments.js'
import { EMBED_FORMS, movableClock, postPairs, rowCount, START, tokenIn, VALID, type Pairs } from './embed-helpers.js'

let t: TestApp | undefined
afterEach(async () => { await t?.close(); t = undefined })

const clock = movableClock()

async function app (minFillSeconds: string) {
  clock.set(START)
  t = await buildTestApp({ formsDir: EMBED_FORMS, clock: clock.now, startWorker: false, env: { MIN_FILL_SECONDS: minFillSeconds } })
  return t
}

async function tokenFromPage (): Promise<string> {
  return tokenIn((await t!.app.inject({ url: '/forms/embeddable' })).body)
}

/** Posts, expects the 303 a person gets, and returns the stored row. */
async function send (pairs: Pairs) {
  const res = await postPairs(t!.app, 'embeddable', pairs)
  expect(res.statusCode).toBe(303)
  const reference = /\/sent\/([A-Z0-9]{8})$/.exec(String(res.headers.location))?.[1]
  const row = rawRow(t!.app, reference ?? '')
  if (!row) throw new Error(`no stored row for ${res.headers.location}`)
  return { res, row }
}

/** References the worker would claim now (far in the future, so every due row is due). */
async function claimable (): Promise<string[]> {
  return (await t!.app.services.storage.outbox.claimDue(START + 365 * 24 * 3600_000, 60_000, 100, ['charitylog', 'lamplight'])).map((r) => r.reference)
}

describe('the honeypot', () => {
  it('is hidden from people, screen readers, the tab order and autofill', async () => {
    await app('0')
    const html = (await t!.app.inject({ url: '/forms/embeddable' })).body
    const input = byId(html, 'hp-field')
    expect(input).toMatchObject({ tag: 'input', name: HONEYPOT_FIELD, type: 'text', value: '', tabindex: '-1', autocomplete: 'off' })
    const wrapper = tags(html, 'div').map(attrs).find((a) => a.class === 'hp')
    expect(wrapper).toEqual({ class: 'hp', 'aria-hidden': 'true' })
    expect(html).toContain('<label for="hp-field">Leave this box empty</label>')
  })

  it('when filled in, looks accepted but the referral is quarantined and never claimed for delivery', async () => {
    await app('0')
    const { res, row } = await send([['_token', await tokenFromPage()], ...VALID, [HONEYPOT_FIELD, 'https://cheap-pills.example']])
    expect(row.quarantined_at).toBe(START)
    expect(row.quarantine_reason).toBe('The hidden anti-spam field was filled in')
    expect(row.next_attempt_at).toBeNull()
    const confirmation = await t!.app.inject({ url: String(res.headers.location) })
    expect(confirmation.statusCode).toBe(200)
    expect(confirmation.body).toContain(row.reference)
    expect(await claimable()).toEqual([])
    expect(t!.logs.join('')).toContain('Submission quarantined as probable spam')
    expect(t!.logs.join('')).not.toContain('cheap-pills')
  })

  it('left empty (or only spaces), lets the referral through to be delivered', async () => {
    await app('0')
    const { row: a } = await send([['_token', await tokenFromPage()], ...VALID, [HONEYPOT_FIELD, '']])
    const { row: b } = await send([['_token', await tokenFromPage()], ...VALID, [HONEYPOT_FIELD, '   ']])
    expect(a.quarantined_at).toBeNull()
    expect(b.quarantined_at).toBeNull()
    expect((await claimable()).sort()).toEqual([a.reference, b.reference].sort())
  })
})

describe('the minimum fill time (MIN_FILL_SECONDS=3)', () => {
  it('quarantines a submission sent sooner than 3 seconds after the form was shown', async () => {
    await app('3')
    const token = await tokenFromPage()
    clock.advance(2999)
    const { row } = await send([['_token', token], ...VALID])
    expect(row.quarantined_at).not.toBeNull()
    expect(row.quarantine_reason).toBe('Sent 2999 ms after the form was shown')
    expect(await claimable()).toEqual([])
  })

  it('lets through a submission sent 3 seconds or more after the form was shown', async () => {
    await app('3')
    const token = await tokenFromPage()
    clock.advance(3000)
    const { row } = await send([['_token', token], ...VALID])
    expect(row.quarantined_at).toBeNull()
    expect(await claimable()).toEqual([row.reference])
  })

  it('does not time a token re-issued after an expired one: the answers were typed long ago', async () => {
    await app('3')
    const old = await tokenFromPage()
    clock.advance(TOKEN_TTL_MS + 60_000)
    const refused = await postPairs(t!.app, 'embeddable', [['_token', old], ...VALID])
    expect(refused.statusCode).toBe(400)
    const reissued = tokenIn(refused.body)
    expect(reissued.split('.')[3]).toBe('r')
    const { row } = await send([['_token', reissued], ...VALID])
    expect(row.quarantined_at).toBeNull()
  })

  it('times the token given for an expired untimed one, so an old token is no way round the time trap', async () => {
    await app('3')
    const old = await tokenFromPage()
    clock.advance(TOKEN_TTL_MS + 60_000)
    const untimed = tokenIn((await postPairs(t!.app, 'embeddable', [['_token', old], ...VALID])).body)
    expect(untimed.split('.')[3]).toBe('r')
    clock.advance(TOKEN_TTL_MS + 60_000)
    const refused = await postPairs(t!.app, 'embeddable', [['_token', untimed], ...VALID])
    expect(refused.statusCode).toBe(400)
    const timed = tokenIn(refused.body)
    expect(timed.split('.')[3]).toBe('f')
    const { row } = await send([['_token', timed], ...VALID])
    expect(row.quarantined_at).not.toBeNull()
  })

  it(`gives at most ${UNTIMED_TOKENS_PER_HOUR} untimed tokens an hour to one address; then even an expired timed token is replaced by a timed one`, async () => {
    await app('3')
    const olds = []
    for (let i = 0; i <= UNTIMED_TOKENS_PER_HOUR; i++) olds.push(await tokenFromPage())
    clock.advance(TOKEN_TTL_MS + 60_000)
    const kinds = []
    for (const old of olds) kinds.push(tokenIn((await postPairs(t!.app, 'embeddable', [['_token', old], ...VALID])).body).split('.')[3])
    expect(kinds).toEqual([...Array(UNTIMED_TOKENS_PER_HOUR).fill('r'), 'f'])
    const other = await postPairs(t!.app, 'embeddable', [['_token', olds[0]!], ...VALID], { headers: { 'x-forwarded-for': '203.0.113.50' } })
    expect(tokenIn(other.body).split('.')[3]).toBe('f') // no TRUST_PROXY: the header is not believed
    const elsewhere = await postPairs(t!.app, 'embeddable', [['_token', olds[0]!], ...VALID], { remoteAddress: '203.0.113.50' })
    expect(tokenIn(elsewhere.body).split('.')[3]).toBe('r') // counted per address
  })

  it('times a token re-issued for a missing one, so software posting blind and again at once is caught', async () => {
    await app('3')
    const refused = await postPairs(t!.app, 'embeddable', VALID)
    expect(refused.statusCode).toBe(400)
    const reissued = tokenIn(refused.body)
    expect(reissued.split('.')[3]).toBe('f')
    const { row } = await send([['_token', reissued], ...VALID])
    expect(row.quarantined_at).not.toBeNull()
  })

  it('is off with MIN_FILL_SECONDS=0', async () => {
    await app('0')
    const { row } = await send([['_token', await tokenFromPage()], ...VALID])
    expect(row.quarantined_at).toBeNull()
    expect(rowCount(t!.app)).toBe(1)
  })
})
