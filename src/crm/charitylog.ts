/**
 * Charitylog (Dizions API v2) adapter: one `PUT {apiUrl}/external_referral` per submission, which lands
 * in Charitylog's staging area for an administrator to import or reject.
 *
 * Contract guesses (../shared/reference/crm-apis.md §1, table C1–C4), to confirm on a replica system:
 * - [GUESS C1] the keys travel as headers named exactly `Source`, `Org` and `User`.
 * - [GUESS C2] the array of people is form-encoded in PHP bracket notation, as PHP's http_build_query
 *   and `qs.stringify` write it: `0[first_name]=Alice&0[relationships][1]=5&1[first_name]=Barry`.
 * - [GUESS C3] success is any 2xx; its body is undocumented, so it is kept raw and any `id`/`ids` read.
 * - [GUESS C4] errors are undocumented: the status alone decides (see classifyFailure in http.ts).
 */
import qs from 'qs'
import type { Dispatcher } from 'undici'
import type { CharitylogCredentials, CrmAdapter, CrmPayload, DeliveryOutcome } from './types.js'
import {
  bodySnippet, classifyFailure, createHttp, createRedactor, failed, isRecord, networkReason, parseJson, statusReason,
  type ConnectionCheck, type CrmName, type HttpClient, type HttpTimeouts,
} from './http.js'

export interface CharitylogOptions {
  /** Without a trailing slash, e.g. https://api.dizions.co.uk/v2 */
  apiUrl: string
  credentials: CharitylogCredentials
  dispatcher?: Dispatcher
  timeouts?: Partial<HttpTimeouts>
}

const CRM: CrmName = { name: 'Charitylog', env: 'CHARITYLOG' }

/** Creates the adapter. `deliver` never throws; it returns what the attempt came to. */
export function createCharitylogAdapter (options: CharitylogOptions): CrmAdapter {
  const http = createHttp(options)
  return {
    destination: 'charitylog',
    async deliver (payload: CrmPayload): Promise<DeliveryOutcome> {
      if (payload.destination !== 'charitylog') {
        return failed('held', `A ${payload.destination} referral was given to the Charitylog adapter`)
      }
      // The people are indexed from 0, which is what `relationships` refers to.
      const res = await send(http, options, 'PUT', '/external_referral', qs.stringify(payload.people))
      const redact = createRedactor([...Object.values(options.credentials), ...answers(payload.people)])
      if (res.type === 'network') return failed('retry', networkReason(CRM, res.error, http.timeouts))
      if (res.status >= 200 && res.status < 300) {
        return { kind: 'delivered', crmIds: readIds(res.body), raw: res.body }
      }
      const cls = classifyFailure({ type: 'status', status: res.status })
      return failed(cls, statusReason(CRM, res.status, bodySnippet(res.body, redact)))
    },
  }
}

/**
 * Checks the keys with `GET {apiUrl}/dictionary/client_type` (also the list of `org_type_id`s, which
 * the admin page can show). [GUESS] that this is a good smoke test: crm-apis.md §1.4.
 */
export async function testCharitylogConnection (options: CharitylogOptions): Promise<ConnectionCheck> {
  const http = createHttp(options)
  const res = await send(http, options, 'GET', '/dictionary/client_type')
  if (res.type === 'network') return { ok: false, reason: networkReason(CRM, res.error, http.timeouts) }
  const redact = createRedactor(Object.values(options.credentials))
  const ok = res.status >= 200 && res.status < 300
  const data = parseJson(res.body)
  if (ok && data !== undefined) return { ok: true, data }
  return { ok: false, reason: statusReason(CRM, res.status, ok ? '' : bodySnippet(res.body, redact)) }
}

function send (http: HttpClient, options: CharitylogOptions, method: 'GET' | 'PUT', path: string, body?: string) {
  const { sourceKey, orgKey, userKey } = options.credentials
  const headers: Record<string, string> = { Source: sourceKey, Org: orgKey, User: userKey, Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded'
  return http.send({ method, url: options.apiUrl.replace(/\/+$/, '') + path, headers, body })
}

/** Every answer in the payload, for redaction: values and nested values. */
function answers (people: Array<Record<string, unknown>>): string[] {
  return people.flatMap((p) => Object.values(p).flatMap((v) => isRecord(v) ? Object.values(v).map(String) : [String(v)]))
}

/**
 * Reads record IDs from an undocumented success body: `{"id":1}` → `{id: 1}`; `{"ids":[1,2]}` or
 * `[1,2]` → `{person_0: 1, person_1: 2}` (one per person sent, in order); the same inside `data`.
 * Anything else → `{}` (the raw body is kept anyway).
 */
function readIds (body: string): Record<string, string | number> {
  const json = parseJson(body)
  const top = isRecord(json) && json.data !== undefined ? json.data : json
  const ids: Record<string, string | number> = {}
  const list = Array.isArray(top) ? top : isRecord(top) && Array.isArray(top.ids) ? top.ids : undefined
  list?.forEach((v, i) => {
    const id = isRecord(v) ? v.id : v
    if (isId(id)) ids[`person_${i}`] = id
  })
  if (isRecord(top) && isId(top.id)) ids.id = top.id
  return ids
}

function isId (v: unknown): v is string | number {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '' && v.length <= 64)
}
