/**
 * The HTTP helper and the ONE failure classifier shared by the CRM adapters.
 *
 * Failure classes (`classifyFailure`; the README cites this list):
 * - `retry`: network errors (ECONNREFUSED, ECONNRESET, DNS, socket closed), undici timeouts
 *   (ConnectTimeoutError, HeadersTimeoutError, BodyTimeoutError), HTTP 408, 429 and 5xx.
 * - `held` (a configuration problem, waits for staff): HTTP 401 and 403; a redirect or an answer we cannot
 *   read (wrong API URL); Lamplight codes 1020, 1023, 1027, 1052, 1054 (a permission is off in Lamplight).
 * - `rejected` (the CRM refused the data, failed at once): any other 4xx; Lamplight 1022, 1024, 1040, 1055,
 *   9999 and every other Lamplight code not listed here.
 * - `partly_delivered`: Lamplight 1058 (core details saved, some custom fields not).
 * A Lamplight error code in the body wins over the HTTP status: Lamplight's status per code is undocumented.
 *
 * Reasons are shown to charity staff and logged, so they hold only statuses, codes, the CRM's `msg` and
 * (for non-2xx answers) the first 200 characters of the body, after `createRedactor` removed credentials
 * and the payload's answers. Never the URL: Lamplight's query string carries its key.
 */
import { Agent, request, type Dispatcher } from 'undici'
import type { DeliveryOutcome } from './types.js'

/** Milliseconds allowed to open a connection, to receive the response headers, and between body chunks. */
export interface HttpTimeouts { connectMs: number, headersMs: number, bodyMs: number }
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 }

export interface HttpOptions { dispatcher?: Dispatcher, timeouts?: Partial<HttpTimeouts> }
export interface HttpRequest { method: 'GET' | 'PUT' | 'POST', url: string, headers?: Record<string, string>, body?: string }
/** A response of any status with its body read in full, or the error that prevented one. */
export type HttpResult = { type: 'response', status: number, body: string } | { type: 'network', error: unknown }
export interface HttpClient { readonly timeouts: HttpTimeouts, send (req: HttpRequest): Promise<HttpResult> }

// Shared by every adapter using the default connect timeout; headers and body timeouts are also set per
// request, so they apply to an injected dispatcher too.
const defaultAgent = new Agent({
  connect: { timeout: DEFAULT_TIMEOUTS.connectMs },
  headersTimeout: DEFAULT_TIMEOUTS.headersMs,
  bodyTimeout: DEFAULT_TIMEOUTS.bodyMs,
})

/** Creates the request helper. `send` never throws: a network failure is returned as a value. */
export function createHttp (options: HttpOptions = {}): HttpClient {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }
  // The connect timeout belongs to the connector, so a non-default one needs its own Agent.
  const dispatcher = options.dispatcher ?? (timeouts.connectMs === DEFAULT_TIMEOUTS.connectMs
    ? defaultAgent
    : new Agent({ connect: { timeout: timeouts.connectMs }, headersTimeout: timeouts.headersMs, bodyTimeout: timeouts.bodyMs }))
  return {
    timeouts,
    async send (req) {
      try {
        const res = await request(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          dispatcher,
          headersTimeout: timeouts.headersMs,
          bodyTimeout: timeouts.bodyMs,
        })
        // Always read the body in full, whatever the status, so the connection is released.
        const body = await res.body.text()
        return { type: 'response', status: res.statusCode, body }
      } catch (error) {
        return { type: 'network', error }
      }
    },
  }
}

export type FailureClass = 'retry' | 'held' | 'rejected' | 'partly_delivered'
export type Failure =
  | { type: 'network', error: unknown }
  /** A non-2xx answer with no CRM error code in it. */
  | { type: 'status', status: number }
  /** An answer that is not the CRM's JSON (HTML login page, proxy error page...). */
  | { type: 'unreadable', status: number }
  | { type: 'lamplight', code: number }

export const LAMPLIGHT_HELD_CODES: readonly number[] = [1020, 1023, 1027, 1052, 1054]
export const LAMPLIGHT_PARTLY_CODE = 1058

/** The one classifier: which outcome a failure leads to (rules in the module comment). */
export function classifyFailure (failure: Exclude<Failure, { type: 'lamplight' }>): Exclude<FailureClass, 'partly_delivered'>
export function classifyFailure (failure: Failure): FailureClass
export function classifyFailure (failure: Failure): FailureClass {
  switch (failure.type) {
    case 'network': return errorCode(failure.error) === 'ERR_INVALID_URL' ? 'held' : 'retry'
    case 'status': return classifyStatus(failure.status)
    case 'unreadable': return classifyStatus(failure.status) === 'retry' ? 'retry' : 'held'
    case 'lamplight':
      if (failure.code === LAMPLIGHT_PARTLY_CODE) return 'partly_delivered'
      return LAMPLIGHT_HELD_CODES.includes(failure.code) ? 'held' : 'rejected'
  }
}

function classifyStatus (status: number): Exclude<FailureClass, 'partly_delivered'> {
  if (status === 408 || status === 429 || status >= 500) return 'retry'
  if (status === 401 || status === 403) return 'held'
  if (status >= 400) return 'rejected'
  // A 2xx we could not use, or a redirect (undici does not follow them): the API URL is wrong.
  return 'held'
}

/** The CRM as named to staff, and the prefix of its settings in the environment. */
export interface CrmName { name: 'Charitylog' | 'Lamplight', env: 'CHARITYLOG' | 'LAMPLIGHT' }

/** "Could not reach Charitylog (connection refused); will retry". */
export function networkReason (crm: CrmName, error: unknown, timeouts: HttpTimeouts): string {
  const code = errorCode(error)
  if (code === 'ERR_INVALID_URL') return `The ${crm.env}_API_URL setting is not a valid URL`
  const secs = (ms: number) => `${ms / 1000} s`
  const detail: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: `no connection within ${secs(timeouts.connectMs)}`,
    UND_ERR_HEADERS_TIMEOUT: `no answer within ${secs(timeouts.headersMs)}`,
    UND_ERR_BODY_TIMEOUT: `the answer stalled for ${secs(timeouts.bodyMs)}`,
    UND_ERR_SOCKET: 'connection closed early',
  }
  return `Could not reach ${crm.name} (${detail[code ?? ''] ?? `network error${code ? ` ${code}` : ''}`}); will retry`
}

/** The reason for a non-2xx status (or an unusable answer) that carries no CRM error code. */
export function statusReason (crm: CrmName, status: number, snippet: string): string {
  const body = snippet ? `: ${snippet}` : ''
  if (status === 401) return `${crm.name} answered 401: the API keys were not accepted. Check ${crm.env}_* settings`
  if (status === 403) return `${crm.name} answered 403: the API user may not do this. Check ${crm.env}_* settings and the API access settings in ${crm.name}`
  const cls = classifyStatus(status)
  if (cls === 'retry') return `${crm.name} answered ${status} (busy or unavailable); will retry${body}`
  if (cls === 'rejected') return `${crm.name} refused the referral (${status}${status === 404 ? ', not found: check ' + crm.env + '_API_URL' : ''})${body}`
  return `${crm.name} answered ${status}, which is not its API's answer. Check ${crm.env}_API_URL`
}

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/**
 * A CRM's text with the encodings an echo of our request may come in undone, so that what is removed
 * from it is found whatever the encoding: percent-encoding (a form body echoed: `Mary%20Ann`, `+` for a
 * space), JSON escapes (`Si\u00e2n`, `\"`) and HTML entities (`O&#39;Neill`). Twice, for an echo of an
 * echo (`&amp;#39;`).
 */
export function decodeEchoes (text: string): string {
  let s = text
  for (let pass = 0; pass < 2; pass++) {
    if (/[^\s=&]+=[^&]*&/.test(s)) s = s.replace(/\+/g, ' ')
    s = s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => { try { return decodeURIComponent(m) } catch { return m } })
    s = s.replace(/\\(["\\/])/g, '$1').replace(/\\u([0-9A-Fa-f]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    s = s.replace(/&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|([a-z]{2,6}));/gi, (m, dec?: string, hex?: string, name?: string) => {
      const code = dec !== undefined ? Number(dec) : hex !== undefined ? parseInt(hex, 16) : undefined
      if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : m
      return HTML_ENTITIES[name!.toLowerCase()] ?? m
    })
  }
  return s
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** What personal data looks like whether or not it was one of the answers: emails, phone numbers, postcodes. */
const LOOKS_PERSONAL = [
  /[^\s@<>"'&=]+@[^\s@<>"'&=]+\.[a-z]{2,}/gi,
  /\+?\d[\d ()-]{6,}\d/g,
  /\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b/gi,
]

/**
 * Returns a function that replaces every secret and every answer in a text with `[removed]` (matched
 * without regard to case; values of two or three characters only as whole words), and anything that
 * looks like an email address, a phone number or a postcode, so a CRM echoing a header or a submitted
 * value cannot leak it into a reason. Numbers of up to five digits are kept: they are IDs and codes,
 * and removing them would garble the reason. Decode the text first (`decodeEchoes`).
 */
export function createRedactor (values: Iterable<unknown>): (text: string) => string {
  const secrets = [...new Set([...values].map((v) => String(v).trim()))]
    .filter((v) => v.length >= 2 && !/^\d{1,5}$/.test(v))
    .sort((a, b) => b.length - a.length)
  const patterns = secrets.map((v) => new RegExp(v.length <= 3 ? `(?<![\\p{L}\\p{N}])${escapeRegExp(v)}(?![\\p{L}\\p{N}])` : escapeRegExp(v), 'giu'))
  return (text) => LOOKS_PERSONAL.reduce((t, p) => t.replace(p, '[removed]'), patterns.reduce((t, p) => t.replace(p, '[removed]'), text))
}

/** At most this many characters of a CRM's text go into a reason (and so into the log and the database). */
export const EXCERPT_CHARS = 200

/** A CRM's text, decoded, redacted, on one line, cut at EXCERPT_CHARS. Never a CRM's body verbatim. */
export function excerpt (text: string, redact: (text: string) => string): string {
  const line = redact(decodeEchoes(text)).replace(/\s+/g, ' ').trim()
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line
}

/**
 * What a non-2xx body says, for a reason: its own `error` or `message` text where it is JSON with one,
 * else the body; either way as an `excerpt` (decoded, redacted, cut).
 */
export function bodySnippet (body: string, redact: (text: string) => string): string {
  const json = parseJson(body)
  const own = isRecord(json) ? [json.message, json.error, json.msg].find((v) => typeof v === 'string' && v.trim() !== '') : undefined
  return excerpt(typeof own === 'string' ? own : body, redact)
}

/** The outcome for a failure class other than `partly_delivered`. */
export function failed (cls: 'retry' | 'held' | 'rejected', reason: string): DeliveryOutcome {
  return { kind: cls, reason }
}

/** What an admin-page "test connection" call comes to. */
export type ConnectionCheck = { ok: true, data: unknown } | { ok: false, reason: string }

/** Parses JSON, or returns undefined for anything that is not JSON. */
export function parseJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return undefined }
}

export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The error code of a network error, looking into `cause` and AggregateError (IPv4 and IPv6 both tried). */
function errorCode (error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { code?: unknown, cause?: unknown, errors?: unknown }
  if (typeof e.code === 'string') return e.code
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0])
  return e.cause === undefined ? undefined : errorCode(e.cause)
}
