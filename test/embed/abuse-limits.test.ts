/**
 * Abuse limits (issue 4, item 4): per-address limits on form POSTs and, stricter, on failed
 * submissions, both answered with the visitor's answers kept; the client address from X-Forwarded-For
 * only with TRUST_PROXY; a body limit with a kind 413 page.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BODY_LIMIT } from '../../src/app.js'
import { FAILURES_PER_TEN_MINUTES, POSTS_PER_MINUTE } from '../../src/routes/forms.js'
import { TOKEN_TTL_MS } from '../../src/security/form-token.js'
import { buildTestApp, form, type TestApp } from '../helpers/app.js'
import { errorSummary, title } from '../helpers/html-fragments.js'
import { ALLOWED_ORIGINS, EMBED_FORMS, inlineScripts, movableClock, notice, postPairs, rowCount, shownValue, tokenIn, VALID, type Pairs, type PostOptions } from './embed-helpers.js'

const TOO_MANY = 'There have been a lot of attempts from your connection. Your answers are still here: wait a few minutes, then press the button again.'

let t: TestApp | undefined
afterEach(async () => { await t?.close(); t = undefined })

async function app (env: Record<string, string> = {}, clock?: () => Date) {
  t = await buildTestApp({ formsDir: EMBED_FORMS, startWorker: false, env, ...(clock && { clock }) })
  return t.app
}

async function token (): Promise<string> {
  return tokenIn((await t!.app.inject({ url: '/forms/embeddable' })).body)
}

/** A no-JavaScript "add another person": a POST that is neither a failure nor a referral. */
const addPerson = (tok: string): Pairs => [['_token', tok], ...VALID, ['_action', 'add:family']]
/** A submission with an answer missing: a failure (422). */
const invalid = (tok: string): Pairs => [['_token', tok], ...VALID.filter(([k]) => k !== 'reason')]

async function postTimes (n: number, pairs: Pairs, o: PostOptions = {}, id = 'embeddable') {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await postPairs(t!.app, id, pairs, o)).statusCode)
  return statuses
}

describe('the limit on form POSTs per address', () => {
  it(`answers the POST after ${POSTS_PER_MINUTE} in a minute with a 429 page that keeps the answers and the token`, async () => {
    await app()
    const tok = await token()
    expect(await postTimes(POSTS_PER_MINUTE, addPerson(tok))).toEqual(Array(POSTS_PER_MINUTE).fill(200))
    const res = await postPairs(t!.app, 'embeddable', [['_token', tok], ...VALID])
    expect(res.statusCode).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(notice(res.body)).toBe(TOO_MANY)
    expect(title(res.body)).toBe('Error (1): Ask us for support')
    expect(shownValue(res.body, 'you[0][first_name]')).toBe('Alice')
    expect(shownValue(res.body, 'reason')).toBe('We need help.')
    expect(tokenIn(res.body)).toBe(tok)
    expect(inlineScripts(res.body)).toEqual([])
    expect(rowCount(t!.app)).toBe(0)
  })

  it('keeps the embedding and the framing policy on the 429 page', async () => {
    await app()
    const tok = await token()
    const url = `/forms/embeddable?embed=${encodeURIComponent(ALLOWED_ORIGINS[0]!)}`
    await postTimes(POSTS_PER_MINUTE, addPerson(tok), { url })
    const res = await postPairs(t!.app, 'embeddable', addPerson(tok), { url })
    expect(res.statusCode).toBe(429)
    expect(res.body).toContain(`data-embed-origin="${ALLOWED_ORIGINS[0]}"`)
    expect(res.headers['content-security-policy']).toContain(`frame-ancestors ${ALLOWED_ORIGINS.join(' ')};`)
    expect(res.headers['x-frame-options']).toBeUndefined()
  })

  it('gives a fresh token on the 429 page when the one sent was not valid', async () => {
    await app()
    const tok = await token()
    await postTimes(POSTS_PER_MINUTE, addPerson(tok))
    const res = await postPairs(t!.app, 'embeddable', [['_token', 'forged'], ...VALID])
    expect(res.statusCode).toBe(429)
    expect(t!.app.services.tokens.verify(tokenIn(res.body), 'embeddable', Date.parse('2026-06-15T12:00:00Z')).ok).toBe(true)
  })

  it('gives an untimed token on the 429 page when the one sent had expired', async () => {
    const clock = movableClock()
    await app({ MIN_FILL_SECONDS: '3' }, clock.now)
    const old = await token()
    clock.advance(TOKEN_TTL_MS + 1)
    await postTimes(POSTS_PER_MINUTE, addPerson(await token()))
    const res = await postPairs(t!.app, 'embeddable', [['_token', old], ...VALID])
    expect(res.statusCode).toBe(429)
    expect(tokenIn(res.body).split('.')[3]).toBe('r')
    expect(t!.app.services.tokens.verify(tokenIn(res.body), 'embeddable', clock.now().getTime()).ok).toBe(true)
  })

  it('answers a POST to a missing form past the limit with the kind 429 page', async () => {
    await app()
    expect(await postTimes(POSTS_PER_MINUTE, VALID, {}, 'nope')).toEqual(Array(POSTS_PER_MINUTE).fill(404))
    const res = await postPairs(t!.app, 'nope', VALID)
    expect(res.statusCode).toBe(429)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('Please wait a moment')
  })

  it('does not limit GETs', async () => {
    await app()
    for (let i = 0; i < POSTS_PER_MINUTE + 5; i++) expect((await t!.app.inject({ url: '/forms/embeddable' })).statusCode).toBe(200)
  })
})

describe('the stricter limit on failed submissions', () => {
  it(`answers the failure after ${FAILURES_PER_TEN_MINUTES} with a 429 page that keeps the answers and the errors`, async () => {
    await app()
    const tok = await token()
    expect(FAILURES_PER_TEN_MINUTES).toBeLessThan(POSTS_PER_MINUTE)
    expect(await postTimes(FAILURES_PER_TEN_MINUTES, invalid(tok))).toEqual(Array(FAILURES_PER_TEN_MINUTES).fill(422))
    const res = await postPairs(t!.app, 'embeddable', invalid(tok))
    expect(res.statusCode).toBe(429)
    expect(notice(res.body)).toBe(TOO_MANY)
    expect(errorSummary(res.body)).toEqual([['#f-reason', '‘How can we help’: enter an answer']])
    expect(shownValue(res.body, 'you[0][surname]')).toBe('Smith')
  })

  it('counts refused tokens as failures too', async () => {
    await app()
    expect(await postTimes(FAILURES_PER_TEN_MINUTES, [['_token', 'forged'], ...VALID])).toEqual(Array(FAILURES_PER_TEN_MINUTES).fill(400))
    const res = await postPairs(t!.app, 'embeddable', [['_token', 'forged'], ...VALID])
    expect(res.statusCode).toBe(429)
    expect(notice(res.body)).toBe(TOO_MANY)
    expect(shownValue(res.body, 'you[0][first_name]')).toBe('Alice')
  })

  it('does not count add-person round trips or good submissions as failures', async () => {
    await app()
    const tok = await token()
    await postTimes(FAILURES_PER_TEN_MINUTES, addPerson(tok))
    expect(await postTimes(FAILURES_PER_TEN_MINUTES, invalid(tok))).toEqual(Array(FAILURES_PER_TEN_MINUTES).fill(422))
  })
})

describe('the client address (TRUST_PROXY)', () => {
  const from = (ip: string): PostOptions => ({ headers: { 'x-forwarded-for': ip } })

  it('with TRUST_PROXY=true, limits two forwarded addresses separately', async () => {
    await app({ TRUST_PROXY: 'true' })
    const tok = await token()
    expect(await postTimes(POSTS_PER_MINUTE, addPerson(tok), from('203.0.113.7'))).toEqual(Array(POSTS_PER_MINUTE).fill(200))
    expect((await postPairs(t!.app, 'embeddable', addPerson(tok), from('203.0.113.7'))).statusCode).toBe(429)
    expect((await postPairs(t!.app, 'embeddable', addPerson(tok), from('198.51.100.9'))).statusCode).toBe(200)
  })

  it('without TRUST_PROXY, ignores X-Forwarded-For: one connecting address is one visitor', async () => {
    await app()
    const tok = await token()
    await postTimes(POSTS_PER_MINUTE, addPerson(tok), from('203.0.113.7'))
    expect((await postPairs(t!.app, 'embeddable', addPerson(tok), from('198.51.100.9'))).statusCode).toBe(429)
    expect((await postPairs(t!.app, 'embeddable', addPerson(tok), { remoteAddress: '192.0.2.44' })).statusCode).toBe(200)
  })
})

describe('the body limit', () => {
  it(`answers a body over ${BODY_LIMIT / 1024} KB with a kind 413 HTML page`, async () => {
    await app()
    expect(BODY_LIMIT).toBe(256 * 1024)
    const res = await postPairs(t!.app, 'embeddable', [['_token', await token()], ...VALID, ['reason', 'x'.repeat(BODY_LIMIT)]])
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('That was too much to send at once')
    expect(res.body).toContain('Go back, shorten your longest answers and send the form again.')
    expect(inlineScripts(res.body)).toEqual([])
    expect(rowCount(t!.app)).toBe(0)
  })

  it('reads a body just under the limit', async () => {
    await app()
    const pairs: Pairs = [['_token', await token()], ...VALID, ['_action', 'add:family']]
    const padding = BODY_LIMIT - form(pairs).length - '&pad='.length - 16
    const res = await postPairs(t!.app, 'embeddable', [...pairs, ['pad', 'x'.repeat(padding)]])
    expect(res.statusCode).toBe(200)
  })
})
