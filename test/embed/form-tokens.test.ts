/**
 * Form tokens without cookies (docs/decisions/0002): signed, bound to one form, four hours, one referral
 * each. A bad or missing token never loses answers: the page comes back with them, a fresh token and
 * a one-line notice.
 */
import { sqliteOf } from '../helpers/sqlite.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFormTokens, TOKEN_TTL_MS } from '../../src/security/form-token.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { errorSummary, title } from '../helpers/html-fragments.js'
import { EMBED_FORMS, movableClock, notice, postPairs, rowCount, shownValue, START, tokenIn, VALID, type Pairs } from './embed-helpers.js'

const SECRET = 'a-test-secret-of-at-least-32-characters!'

describe('createFormTokens', () => {
  const tokens = createFormTokens(SECRET)

  it('verifies a token it issued for the same form, with its claims', () => {
    const token = tokens.issue('embeddable', START)
    const check = tokens.verify(token, 'embeddable', START + 1000)
    expect(check).toEqual({ ok: true, claims: { formId: 'embeddable', issuedAt: START, kind: 'f', nonce: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) } })
  })

  it('gives every token a different nonce', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => tokens.issue('embeddable', START).split('.')[4]))
    expect(nonces.size).toBe(50)
  })

  it('refuses a token whose mac was tampered with', () => {
    const token = tokens.issue('embeddable', START)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(tokens.verify(token.slice(0, -1) + last, 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a token whose claims were changed under the same mac', () => {
    const [v, form, , kind, nonce, mac] = tokens.issue('embeddable', START).split('.')
    const older = [v, form, String(START + 60_000), kind, nonce, mac].join('.')
    expect(tokens.verify(older, 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
    const retimed = [v, form, String(START), 'r', nonce, mac].join('.')
    expect(tokens.verify(retimed, 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a token signed with another secret', () => {
    const other = createFormTokens('another-secret-of-at-least-32-characters')
    expect(tokens.verify(other.issue('embeddable', START), 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses garbage and a missing token', () => {
    expect(tokens.verify(undefined, 'embeddable', START)).toEqual({ ok: false, reason: 'missing' })
    expect(tokens.verify('', 'embeddable', START)).toEqual({ ok: false, reason: 'missing' })
    expect(tokens.verify('v1.a.b', 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
    expect(tokens.verify('v2.embeddable.1.f.n.m', 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('says a token of another form is another form’s', () => {
    expect(tokens.verify(tokens.issue('not-embeddable', START), 'embeddable', START)).toMatchObject({ ok: false, reason: 'other-form' })
  })

  it('accepts a token up to four hours old and calls an older one expired', () => {
    const token = tokens.issue('embeddable', START)
    expect(TOKEN_TTL_MS).toBe(4 * 60 * 60 * 1000)
    expect(tokens.verify(token, 'embeddable', START + TOKEN_TTL_MS).ok).toBe(true)
    expect(tokens.verify(token, 'embeddable', START + TOKEN_TTL_MS + 1)).toMatchObject({ ok: false, reason: 'expired', claims: { kind: 'f' } })
  })

  it('refuses a token issued in the future (beyond a minute of clock skew)', () => {
    expect(tokens.verify(tokens.issue('embeddable', START + 61_000), 'embeddable', START)).toEqual({ ok: false, reason: 'invalid' })
    expect(tokens.verify(tokens.issue('embeddable', START + 30_000), 'embeddable', START).ok).toBe(true)
  })
})

describe('a submission and its form token', () => {
  let t: TestApp
  const clock = movableClock()
  beforeEach(async () => {
    clock.set(START)
    t = await buildTestApp({ formsDir: EMBED_FORMS, clock: clock.now, startWorker: false })
  })
  afterEach(() => t.close())

  async function freshToken (id = 'embeddable'): Promise<string> {
    const page = await t.app.inject({ url: `/forms/${id}` })
    expect(page.statusCode).toBe(200)
    return tokenIn(page.body)
  }

  /** The page came back with the answers, a new valid token and the notice. */
  function expectAnswersKept (body: string, sentToken: string | undefined, expired = false) {
    expect(shownValue(body, 'you[0][first_name]')).toBe('Alice')
    expect(shownValue(body, 'you[0][surname]')).toBe('Smith')
    expect(shownValue(body, 'reason')).toBe('We need help.')
    const fresh = tokenIn(body)
    expect(fresh).not.toBe(sentToken)
    expect(t.app.services.tokens.verify(fresh, 'embeddable', clock.now().getTime()).ok).toBe(true)
    expect(notice(body)).toBe(expired
      ? 'This page was open for a long time, so we could not send it. Your answers are still here: check them and press the button again.'
      : 'We could not send the form. Your answers are still here: check them and press the button again.')
    expect(title(body)).toBe('Error (1): Ask us for support')
  }

  it('stores a referral sent with the token of its page and redirects to the confirmation', async () => {
    const res = await postPairs(t.app, 'embeddable', [['_token', await freshToken()], ...VALID])
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toMatch(/^\/forms\/embeddable\/sent\/[A-Z0-9]{8}$/)
    expect(rowCount(t.app)).toBe(1)
  })

  it('refuses a forged token but keeps the answers, with a fresh token and the notice', async () => {
    const token = await freshToken()
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
    const res = await postPairs(t.app, 'embeddable', [['_token', forged], ...VALID])
    expect(res.statusCode).toBe(400)
    expectAnswersKept(res.body, forged)
    expect(rowCount(t.app)).toBe(0)
  })

  it('refuses a missing token but keeps the answers, and the fresh token then works', async () => {
    const res = await postPairs(t.app, 'embeddable', VALID)
    expect(res.statusCode).toBe(400)
    expectAnswersKept(res.body, undefined)
    const again = await postPairs(t.app, 'embeddable', [['_token', tokenIn(res.body)], ...VALID])
    expect(again.statusCode).toBe(303)
    expect(rowCount(t.app)).toBe(1)
  })

  it('refuses another form’s token but keeps the answers', async () => {
    const other = await freshToken('not-embeddable')
    const res = await postPairs(t.app, 'embeddable', [['_token', other], ...VALID])
    expect(res.statusCode).toBe(400)
    expectAnswersKept(res.body, other)
    expect(rowCount(t.app)).toBe(0)
  })

  it('refuses a token older than four hours but keeps the answers, and the re-issued token works at once', async () => {
    const token = await freshToken()
    clock.advance(TOKEN_TTL_MS + 1)
    const res = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID])
    expect(res.statusCode).toBe(400)
    expectAnswersKept(res.body, token, true)
    expect(rowCount(t.app)).toBe(0)
    const again = await postPairs(t.app, 'embeddable', [['_token', tokenIn(res.body)], ...VALID])
    expect(again.statusCode).toBe(303)
    expect(rowCount(t.app)).toBe(1)
  })

  it('shows the errors and the notice together when the answers are invalid too', async () => {
    const res = await postPairs(t.app, 'embeddable', [['_token', 'nonsense'], ...VALID.filter(([k]) => k !== 'reason')])
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)).toEqual([['#f-reason', '‘How can we help’: enter an answer']])
    expect(notice(res.body)).toMatch(/^We could not send the form\./)
    expect(shownValue(res.body, 'you[0][first_name]')).toBe('Alice')
    expect(t.app.services.tokens.verify(tokenIn(res.body), 'embeddable', START).ok).toBe(true)
  })

  it('keeps a valid token unchanged through a 422 and an add-person round trip, so it still makes the referral', async () => {
    const token = await freshToken()
    const invalid = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID.filter(([k]) => k !== 'reason')])
    expect(invalid.statusCode).toBe(422)
    expect(tokenIn(invalid.body)).toBe(token)
    expect(notice(invalid.body)).toBeUndefined()
    const added = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID, ['_action', 'add:family']])
    expect(added.statusCode).toBe(200)
    expect(tokenIn(added.body)).toBe(token)
    const sent = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID])
    expect(sent.statusCode).toBe(303)
  })

  it('stores nothing for a replayed token and shows the same confirmation (a double click)', async () => {
    const token = await freshToken()
    const first = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID])
    const second = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID])
    const third = await postPairs(t.app, 'embeddable', [['_token', token], ['you[0][_]', '1'], ['you[0][first_name]', 'Mallory'], ['you[0][surname]', 'X'], ['reason', 'Other']] as Pairs)
    expect(first.statusCode).toBe(303)
    expect(second.statusCode).toBe(303)
    expect(third.statusCode).toBe(303)
    expect(second.headers.location).toBe(first.headers.location)
    expect(third.headers.location).toBe(first.headers.location)
    expect(rowCount(t.app)).toBe(1)
    const confirmation = await t.app.inject({ url: String(second.headers.location) })
    expect(confirmation.statusCode).toBe(200)
    expect(confirmation.body).toContain(String(first.headers.location).split('/').at(-1))
  })

  it('spends the nonce in the database until the token has expired, then forgets it', async () => {
    const token = await freshToken()
    await postPairs(t.app, 'embeddable', [['_token', token], ...VALID])
    const { submissions } = t.app.services.storage
    const spent = () => (sqliteOf(t.app).prepare('SELECT count(*) AS n FROM used_tokens').get() as { n: number }).n
    expect(spent()).toBe(1)
    expect(await submissions.purgeSpentTokens(START + TOKEN_TTL_MS - 1)).toBe(0)
    expect(await submissions.purgeSpentTokens(START + TOKEN_TTL_MS + 1)).toBe(1)
    expect(spent()).toBe(0)
  })

  it('sets no cookie on any public page', async () => {
    const token = await freshToken()
    const responses = [
      await t.app.inject({ url: '/' }),
      await t.app.inject({ url: '/forms/embeddable?embed=https://help.example.org' }),
      await postPairs(t.app, 'embeddable', VALID),
      await postPairs(t.app, 'embeddable', [['_token', token], ...VALID]),
    ]
    responses.push(await t.app.inject({ url: String(responses[3]!.headers.location) }))
    for (const res of responses) expect(res.headers['set-cookie']).toBeUndefined()
  })
})
