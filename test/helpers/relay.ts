/**
 * Helpers for the relay tests: environments pointing the app at a fake CRM, submissions of the two
 * example forms through the real routes, and bounded polling (never a fixed long sleep).
 */
import { expect } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { RelayOptions } from '../../src/outbox/relay.js'
import { rawRow, type SubmissionRow } from './sqlite.js'
import { FAKE_CHARITYLOG_KEYS } from '../fakes/fake-charitylog.js'
import { FAKE_LAMPLIGHT_KEYS } from '../fakes/fake-lamplight.js'
import type { FakeServer } from '../fakes/fake-server.js'
import { buildTestApp, form, FORM_HEADERS, type TestApp, type TestAppOptions } from './app.js'
import { ownHiddenInputs } from './html-fragments.js'
import { logPersonalData } from './mail-log.js'

/** Short timeouts, so a hanging CRM costs a test 0.3 s. */
export const FAST_RELAY: RelayOptions = { timeouts: { connectMs: 300, headersMs: 300, bodyMs: 300 } }

export function charitylogEnv (fake: Pick<FakeServer, 'url'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CHARITYLOG_API_URL: fake.url,
    CHARITYLOG_SOURCE_KEY: FAKE_CHARITYLOG_KEYS.sourceKey,
    CHARITYLOG_ORG_KEY: FAKE_CHARITYLOG_KEYS.orgKey,
    CHARITYLOG_USER_KEY: FAKE_CHARITYLOG_KEYS.userKey,
    RETRY_BASE_DELAY_MS: '20',
    ...extra,
  }
}

export function lamplightEnv (fake: Pick<FakeServer, 'url'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LAMPLIGHT_API_URL: fake.url,
    LAMPLIGHT_KEY: FAKE_LAMPLIGHT_KEYS.key,
    LAMPLIGHT_LAMPID: FAKE_LAMPLIGHT_KEYS.lampid,
    LAMPLIGHT_PROJECT: FAKE_LAMPLIGHT_KEYS.project,
    RETRY_BASE_DELAY_MS: '20',
    ...extra,
  }
}

/** Every credential the fakes accept: none may appear in a log. */
export const ALL_FAKE_SECRETS = [...Object.values(FAKE_CHARITYLOG_KEYS), FAKE_LAMPLIGHT_KEYS.key]

export interface Person { first: string, surname: string }

/** The carers form (Charitylog): a carer and `caredFor` people, as a browser would post it. */
export function carersBody (carer: Person, caredFor: Person[], reason = 'I look after my parents and need a break'): string {
  const pairs: Array<[string, string]> = [
    ['carer[0][_]', '1'],
    ['carer[0][first_name]', carer.first], ['carer[0][surname]', carer.surname],
    ['carer[0][email]', `${carer.first.toLowerCase()}@example.org`], ['carer[0][phone]', '01989 567890'],
    ['carer[0][address1]', '1 Orchard Lane'], ['carer[0][postcode]', 'hr9 7us'], ['carer[0][ethnicity]', '35'],
  ]
  caredFor.forEach((p, i) => {
    pairs.push(
      [`cared_for[${i}][_]`, '1'],
      [`cared_for[${i}][first_name]`, p.first], [`cared_for[${i}][surname]`, p.surname],
      [`cared_for[${i}][date_of_birth][day]`, String(i + 3)], [`cared_for[${i}][date_of_birth][month]`, '4'],
      [`cared_for[${i}][date_of_birth][year]`, String(1940 + i)]
    )
  })
  pairs.push(['reason', reason], ['heard_from', 'GP'], ['consent', 'yes'])
  return form(pairs)
}

/** The professional form (Lamplight): the client and the professional referring them. */
export function professionalBody (client: Person, referrer: Person, reason = 'Needs help with <b>benefits</b> & debts'): string {
  return form([
    ['client[0][_]', '1'],
    ['client[0][first_name]', client.first], ['client[0][surname]', client.surname],
    ['client[0][email]', `${client.first.toLowerCase()}@example.net`], ['client[0][mobile]', '07700 900982'],
    ['client[0][postcode]', 'sw1a1aa'],
    ['referrer[0][_]', '1'],
    ['referrer[0][first_name]', referrer.first], ['referrer[0][surname]', referrer.surname],
    ['referrer[0][email]', `${referrer.first.toLowerCase()}@council.example.gov.uk`],
    ['reason', reason], ['urgency', 'High'],
  ])
}

/**
 * The app clock of the relay tests. The worker runs on the app's clock, so it must move: it is the
 * real time, moved on a minute by each `submit` as a visitor's typing would move it (the forms refuse
 * to trust a form sent faster than a person types). Never behind the real time, so a retry the ops CLI
 * makes with `Date.now()` is due at once, as it is with a real server.
 */
let skewMs = 0
export const testClock = (): Date => new Date(Date.now() + skewMs)
/** Moves the relay tests' clock on (time passing while a CRM was down: the retries it put off fall due). */
export const advanceTestClock = (ms: number) => { skewMs += ms }

/** The real app for a relay test: short CRM timeouts and the test clock unless told otherwise. */
export function buildRelayApp (opts: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp({ relay: FAST_RELAY, clock: testClock, ...opts })
}

/**
 * Submits a form as a browser does: gets the page, sends its own hidden inputs (form token...) back
 * with the answers a minute later, and returns the reference the referral was stored under.
 */
export async function submit (app: FastifyInstance, formId: string, answers: string, remoteAddress = '127.0.0.1'): Promise<string> {
  const page = await app.inject({ method: 'GET', url: `/forms/${formId}`, remoteAddress })
  expect(page.statusCode).toBe(200)
  skewMs += 60_000
  // Its answers are personal data: no email sent during the run may hold one (test/global/mail-scan.ts).
  logPersonalData(new URLSearchParams(answers).values())
  const payload = [form(ownHiddenInputs(page.body)), answers].filter((s) => s !== '').join('&')
  const res = await app.inject({ method: 'POST', url: `/forms/${formId}`, headers: FORM_HEADERS, payload, remoteAddress })
  expect(res.statusCode, res.body.slice(0, 2000)).toBe(303)
  const m = /\/sent\/([A-Z0-9]{8})$/.exec(String(res.headers.location))
  expect(m).not.toBeNull()
  return m![1]!
}

export function rowOf (t: TestApp, reference: string): SubmissionRow {
  const row = rawRow(t.app, reference)
  if (!row) throw new Error(`No row ${reference}`)
  return row
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T> (what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 15))
  }
}

/** Waits until the row satisfies `done` (read from the database) and returns it. */
export function waitForRow (t: TestApp, reference: string, what: string, done: (r: SubmissionRow) => boolean, timeoutMs?: number): Promise<SubmissionRow> {
  return waitFor(`${reference} ${what}`, () => { const r = rowOf(t, reference); return done(r) && r }, timeoutMs)
}

export const isDelivered = (r: SubmissionRow) => r.delivered_at !== null

/**
 * Logs must carry references and outcomes only: no credential (the fakes' or `extraSecrets`), no query
 * string with a key, and none of `personal` (names, emails, answers submitted in the test).
 */
export function expectLogsClean (logs: string[], personal: string[], extraSecrets: string[] = []): void {
  const text = logs.join('')
  for (const secret of [...ALL_FAKE_SECRETS, ...extraSecrets]) expect(text, 'a credential in the logs').not.toContain(secret)
  expect(text).not.toMatch(/key=|lampid=|[?&]project=/)
  for (const word of personal) expect(text, 'personal data in the logs').not.toContain(word)
}
