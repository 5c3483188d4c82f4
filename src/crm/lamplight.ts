/**
 * Lamplight adapter: `people/add` for the attendee, then for the referrer (if any), then `referral/add`
 * naming both profile IDs (Lamplight's own recommended flow, crm-apis.md §2.7).
 *
 * Resumable: each ID is saved to `progress` as soon as Lamplight returns it, and a retry reuses it, so a
 * failure at a later step never creates a second profile (or a second referral). A 1058 on a profile is
 * remembered as `progress.ids['<key>_1058']` so the final outcome still says "partly delivered".
 *
 * Contract notes (crm-apis.md §2): credentials go in the query string of every request, never the body
 * [CODE: php client]; writes are flat form bodies; `role` goes in the people/add body [GUESS L3]; the body
 * is read whatever the HTTP status and `{"error": code, "msg": ...}` decides [GUESS L2]. The people/add
 * success shape is [INFERENCE L1] `{"data": 123}`; `{"data":{"id":123}}` and string IDs are accepted too.
 * The shape of a 1058 answer is undocumented: an ID is looked for in `data` and at the top level.
 */
import type { Dispatcher } from 'undici'
import type { CrmAdapter, CrmPayload, DeliveryOutcome, DeliveryProgress, LamplightCredentials, LamplightProfile } from './types.js'
import {
  bodySnippet, classifyFailure, createHttp, createRedactor, excerpt, failed, isRecord, networkReason, parseJson, statusReason,
  type ConnectionCheck, type CrmName, type HttpTimeouts,
} from './http.js'

export interface LamplightOptions {
  /** Without a trailing slash, e.g. https://lamplight.online/api */
  apiUrl: string
  credentials: LamplightCredentials
  dispatcher?: Dispatcher
  timeouts?: Partial<HttpTimeouts>
}

const CRM: CrmName = { name: 'Lamplight', env: 'LAMPLIGHT' }
// Never sent in a body: PHP may merge body and query parameters, so a field of these names could
// override a credential.
const RESERVED = new Set(['key', 'lampid', 'project'])

type Failed = { ok: false, outcome: DeliveryOutcome }
type ProfileStep = { ok: true, id: string | number } | Failed

/** Creates the adapter. `deliver` never throws; it returns what the attempt came to. */
export function createLamplightAdapter (options: LamplightOptions): CrmAdapter {
  const call = createCaller(options)

  /** The profile's ID: saved by an earlier attempt, or created now and saved at once. */
  async function profile (
    key: 'attendee' | 'referrer', p: LamplightProfile, progress: DeliveryProgress, notes: string[], redact: Redact
  ): Promise<ProfileStep> {
    const what = `the ${key}'s profile`
    const saved = progress.ids[key]
    if (saved !== undefined) {
      if (progress.ids[`${key}_1058`] !== undefined) notes.push(`Lamplight saved ${what} but not some custom fields (1058)`)
      return { ok: true, id: saved }
    }
    const step = await call('people/add', { fields: { role: p.role, ...withoutKeys(p.fields, ['role']) }, what, redact })
    if (!step.ok) return step
    if (step.id === undefined) {
      const reason = `${step.partly ?? `Lamplight accepted ${what}`}, but its answer held no profile ID, ` +
        'so the referral was not made. Staff must finish it in Lamplight'
      // Without an ID a retry would make a second profile, so this needs staff either way.
      const crmIds = Object.fromEntries(Object.entries(progress.ids).filter(([k]) => k === 'attendee' || k === 'referrer'))
      return { ok: false, outcome: step.partly !== undefined ? { kind: 'partly_delivered', crmIds, reason } : failed('held', reason) }
    }
    await progress.save(key, step.id)
    if (step.partly !== undefined) {
      await progress.save(`${key}_1058`, 1058)
      notes.push(step.partly)
    }
    return { ok: true, id: step.id }
  }

  return {
    destination: 'lamplight',
    async deliver (payload: CrmPayload, progress: DeliveryProgress): Promise<DeliveryOutcome> {
      if (payload.destination !== 'lamplight') {
        return failed('held', `A ${payload.destination} referral was given to the Lamplight adapter`)
      }
      const redact = createRedactor([
        ...Object.values(options.credentials), ...Object.values(payload.attendee.fields),
        ...Object.values(payload.referrer?.fields ?? {}), ...Object.values(payload.referral),
      ])
      const notes: string[] = []
      const attendee = await profile('attendee', payload.attendee, progress, notes, redact)
      if (!attendee.ok) return attendee.outcome
      const referrer = payload.referrer ? await profile('referrer', payload.referrer, progress, notes, redact) : attendee
      if (!referrer.ok) return referrer.outcome
      const crmIds: Record<string, string | number> = { attendee: attendee.id }
      if (payload.referrer) crmIds.referrer = referrer.id

      let referral = progress.ids.referral
      if (referral === undefined) {
        const fields = { ...withoutKeys(payload.referral, ['attendee', 'referrer']), attendee: attendee.id, referrer: referrer.id }
        const step = await call('referral/add', { fields, what: 'the referral data', redact })
        if (!step.ok) return step.outcome
        if (step.partly !== undefined) notes.push(step.partly)
        if (step.id === undefined && step.partly === undefined) {
          return failed('held', 'Lamplight accepted the referral but its answer held no referral ID. Check it arrived in Lamplight before releasing it')
        }
        if (step.id !== undefined) await progress.save('referral', step.id)
        referral = step.id
      }
      if (referral !== undefined) crmIds.referral = referral
      if (notes.length > 0) return { kind: 'partly_delivered', crmIds, reason: `${notes.join('; ')}. Staff must finish it in Lamplight` }
      return { kind: 'delivered', crmIds }
    },
  }
}

/** Checks the credentials with `GET {apiUrl}/workarea/all/format/json`: `data` is the workarea tree. */
export async function testLamplightConnection (options: LamplightOptions): Promise<ConnectionCheck> {
  const redact = createRedactor(Object.values(options.credentials))
  const answer = await createCaller(options)('workarea/all', { what: 'the connection test', redact })
  if (!answer.ok) return { ok: false, reason: 'reason' in answer.outcome ? answer.outcome.reason : 'Unexpected answer' }
  return { ok: true, data: answer.data }
}

type Redact = (text: string) => string
/** A usable answer (`partly`: the 1058 reason), or the outcome a failure comes to. */
type Answer = { ok: true, id: number | undefined, partly?: string, data: unknown } | Failed
interface Call { fields?: Record<string, string | number>, what: string, redact: Redact }

/** Returns a function that POSTs `fields` (GETs without them) to one route and reads the answer. */
function createCaller (options: LamplightOptions): (route: string, call: Call) => Promise<Answer> {
  const http = createHttp(options)
  const base = options.apiUrl.replace(/\/+$/, '')
  const query = new URLSearchParams({ ...options.credentials }).toString()

  return async (route, { fields, what, redact }) => {
    // `<` and `>` would make Lamplight refuse the whole request (9999); the mapper strips them too.
    const body = fields && new URLSearchParams(Object.entries(fields)
      .filter(([k]) => !RESERVED.has(k))
      .map(([k, v]) => [k, String(v).replace(/[<>]/g, '')])).toString()
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded'
    const res = await http.send({ method: body === undefined ? 'GET' : 'POST', url: `${base}/${route}/format/json?${query}`, headers, body })
    if (res.type === 'network') return fail('retry', networkReason(CRM, res.error, http.timeouts))

    const json = parseJson(res.body)
    if (!isRecord(json)) {
      const cls = classifyFailure({ type: 'unreadable', status: res.status })
      return fail(cls, cls === 'retry'
        ? statusReason(CRM, res.status, bodySnippet(res.body, redact))
        : `Lamplight answered ${res.status} with something that is not its API's JSON. Check LAMPLIGHT_API_URL and LAMPLIGHT_* settings`)
    }
    const error = readError(json)
    if (error !== undefined) {
      const text = `${error.code}${error.msg ? `: ${excerpt(error.msg, redact)}` : ''}`
      const cls = classifyFailure({ type: 'lamplight', code: error.code })
      if (cls === 'partly_delivered') {
        return { ok: true, id: readId(json), partly: `Lamplight saved ${what} but not some custom fields (${text})`, data: json.data }
      }
      if (cls === 'held') return fail(cls, `Lamplight would not accept ${what} (${text}). Check the publishing settings in Lamplight and LAMPLIGHT_* settings`)
      return fail(cls, `Lamplight refused ${what} (${text})`)
    }
    if (res.status < 200 || res.status >= 300) {
      return fail(classifyFailure({ type: 'status', status: res.status }), statusReason(CRM, res.status, bodySnippet(res.body, redact)))
    }
    return { ok: true, id: readId(json), data: json.data }
  }
}

function fail (cls: 'retry' | 'held' | 'rejected', reason: string): Failed {
  return { ok: false, outcome: failed(cls, reason) }
}

/** `{"error":1040,"msg":"..."}`, or the same inside `data` (the per-record shape of the php client). */
function readError (json: Record<string, unknown>): { code: number, msg: string } | undefined {
  const source = json.error !== undefined ? json : isRecord(json.data) ? json.data : json
  const code = Number(source.error)
  if (source.error === undefined || source.error === null || source.error === '' || !Number.isInteger(code) || code === 0) return undefined
  return { code, msg: typeof source.msg === 'string' ? source.msg : '' }
}

/** A positive ID from `{"data":123}`, `{"data":"123"}`, `{"data":{"id":123}}` or `{"id":123}`. */
function readId (json: Record<string, unknown>): number | undefined {
  for (const v of [json.data, isRecord(json.data) ? json.data.id : undefined, json.id]) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN
    if (Number.isSafeInteger(n) && n > 0) return n
  }
  return undefined
}

function withoutKeys<T> (record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)))
}
