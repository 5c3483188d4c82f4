/**
 * A fake Lamplight publishing API that enforces the documented contract strictly
 * (../../../shared/reference/crm-apis.md §2): `POST /people/add/format/json`,
 * `POST /referral/add/format/json`, `GET /workarea/all/format/json`.
 *
 * Guesses, marked because Lamplight documents no such thing: wrong or missing credentials answer 401
 * `{"error":1027,...}` (L7); error answers use HTTP 400 (L2, from the php client's unit test); credentials
 * in a body answer 400 (our own strictness: the php client never sends them there).
 */
import type { LamplightCredentials } from '../../src/crm/types.js'
import { startFakeServer, type FakeServer, type Faults, type RecordedRequest, type Reply } from './fake-server.js'

export const FAKE_LAMPLIGHT_KEYS: LamplightCredentials = { key: 'll-key-5e1f0a9b7c3d', lampid: '14491', project: '22817' }
export const WORKAREAS = [
  { id: 1, text: 'Carers support', children: [{ id: 22, text: 'Young carers' }] },
  { id: 2, text: 'Advice', children: [] },
]
const WORKAREA_IDS = new Set(['1', '22', '2'])
const ROLES = new Set(['user', 'contact', 'staff', 'funder', 'org'])
const POSTCODE = /^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$/
const MOBILE = /^(0|\+44 |\+44)7[0-9]{1}[\d]{2}[\s]{0,1}[\d]{6}$/

/** Lamplight's documented messages (docs/errors.md), for the codes the fake produces. */
export const MESSAGES: Record<number, string> = {
  1001: 'Role of person not recognised',
  1024: 'The attendee could not be unambiguously identified in the database',
  1027: 'This type of record may not be accessed through the API',
  1040: 'Referral data provided was not valid',
  1054: 'No permission to add profiles of this type',
  1055: 'Data provided to add/update profile was not valid',
  1058: 'Problem saving some custom fields (core details will have been saved)',
  9999: 'Data provided may have been a malicious attack and has not been added. Specifically, POSTed content includes html tags and the request is immediately rejected.',
}

export type LamplightRoute = 'people/add' | 'referral/add' | 'workarea/all'
/** `skip`: let this many requests to the route through first (e.g. 1: fail the referrer, not the attendee). */
export interface InjectOptions { status?: number, withId?: boolean, skip?: number }

export interface LamplightFaults extends Faults {
  /**
   * Answer the next request to `route` with this Lamplight error code (HTTP 400 unless `status`).
   * For 1058 the record IS created (core details saved); `withId` puts its ID in the answer's `data`.
   */
  nextError (route: LamplightRoute, code: number, options?: InjectOptions): void
  /** Answer the next request to `route` with a bare HTTP status and a plain-text body (a proxy's 503). */
  failNextOn (route: LamplightRoute, status?: number, options?: Pick<InjectOptions, 'skip'>): void
  /**
   * Answer the next request to `route` with this error code and a `msg` that repeats the fields sent,
   * JSON-escaped as a PHP json_encode writes them (`"first_name":"Si\u00e2n"`).
   */
  echoNext (route: LamplightRoute, code: number): void
  /** How people/add returns the new ID: `{"data":1}`, `{"data":"1"}` or `{"data":{"id":1}}`. */
  profileIdShape: 'number' | 'string' | 'object'
}

export interface FakeLamplight extends FakeServer {
  faults: LamplightFaults
  profiles: Array<{ id: number, role: string, fields: Record<string, string> }>
  referrals: Array<{ id: number, fields: Record<string, string> }>
}

/** Starts the fake on 127.0.0.1; `keys` are the credentials it accepts. */
export async function startFakeLamplight (keys: LamplightCredentials = FAKE_LAMPLIGHT_KEYS, port = 0): Promise<FakeLamplight> {
  const profiles: FakeLamplight['profiles'] = []
  const referrals: FakeLamplight['referrals'] = []
  const injected: Array<{ route: LamplightRoute, code: number | undefined, status: number, withId: boolean, skip: number, echo?: boolean }> = []
  const server = await startFakeServer(handle, port)
  const faults: LamplightFaults = Object.assign(server.faults, {
    nextError (route: LamplightRoute, code: number, options: InjectOptions = {}) {
      injected.push({ route, code, status: options.status ?? 400, withId: options.withId ?? false, skip: options.skip ?? 0 })
    },
    failNextOn (route: LamplightRoute, status = 503, options: Pick<InjectOptions, 'skip'> = {}) {
      injected.push({ route, code: undefined, status, withId: false, skip: options.skip ?? 0 })
    },
    echoNext (route: LamplightRoute, code: number) {
      injected.push({ route, code, status: 400, withId: false, skip: 0, echo: true })
    },
    profileIdShape: 'number' as LamplightFaults['profileIdShape'],
  })
  return { ...server, faults, profiles, referrals }

  function handle (req: RecordedRequest): Reply {
    const q = req.query
    if (q.key !== keys.key || q.lampid !== keys.lampid || q.project !== keys.project) return error(1027, 401)
    const body = req.body as Record<string, unknown>
    if (['key', 'lampid', 'project'].some((k) => k in body)) {
      return { status: 400, body: 'Fake Lamplight: credentials must travel in the query string only' }
    }
    const route = req.path.replace(/^\/|\/format\/json$/g, '') as LamplightRoute
    if (route === 'workarea/all' && req.method === 'GET') return { status: 200, body: { data: WORKAREAS, meta: { numResults: 2, totalRecords: 2 } } }
    if ((route !== 'people/add' && route !== 'referral/add') || req.method !== 'POST') return { status: 404, body: 'Not found' }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return error(1056)
    const fields = body as Record<string, string>
    if (Object.values(fields).some((v) => typeof v !== 'string' || /[<>]/.test(v))) return error(9999)

    const fault = takeFault(route)
    if (fault?.code === undefined && fault) return { status: fault.status, body: 'Service Unavailable' }
    if (fault?.echo) {
      const escaped = JSON.stringify(fields).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      return { status: fault.status, body: `{"error":${fault.code},"msg":${JSON.stringify(`Invalid data: ${escaped}`)}}`, contentType: 'application/json' }
    }
    if (fault?.code !== undefined && fault.code !== 1058) return error(fault.code, fault.status)
    const partly = fault ? { error: 1058, msg: MESSAGES[1058] } : {}
    return route === 'people/add' ? addPerson(fields, partly, fault?.withId ?? true) : addReferral(fields, partly, fault?.withId ?? true)
  }

  function takeFault (route: LamplightRoute) {
    const i = injected.findIndex((f) => f.route === route)
    const fault = injected[i]
    if (fault === undefined) return undefined
    if (fault.skip > 0) { fault.skip--; return undefined }
    injected.splice(i, 1)
    return fault
  }

  function addPerson (fields: Record<string, string>, partly: object, withId: boolean): Reply {
    const { role = '', ...rest } = fields
    if (!ROLES.has(role)) return error(1001)
    if (!rest.first_name || !rest.surname) return error(1055)
    if (rest.postcode !== undefined && !POSTCODE.test(rest.postcode)) return error(1055)
    if (rest.mobile !== undefined && !MOBILE.test(rest.mobile)) return error(1055)
    const id = 600 + profiles.length
    profiles.push({ id, role, fields: rest })
    const shape = faults.profileIdShape
    const data = shape === 'number' ? id : shape === 'string' ? String(id) : { id }
    return { status: 'error' in partly ? 400 : 200, body: { ...(withId && { data }), ...partly } }
  }

  function addReferral (fields: Record<string, string>, partly: object, withId: boolean): Reply {
    const known = (v: string | undefined) => v !== undefined && profiles.some((p) => String(p.id) === v)
    if (!known(fields.attendee) || !known(fields.referrer)) return error(1024)
    if (!fields.workareaid || !fields.workareaid.split(',').every((w) => WORKAREA_IDS.has(w.trim()))) return error(1040)
    const id = 30939 + referrals.length
    referrals.push({ id, fields })
    return { status: 'error' in partly ? 400 : 200, body: { ...(withId && { data: { id, attend: true } }), meta: '', ...partly } }
  }
}

function error (code: number, status = 400): Reply {
  return { status, body: { error: code, msg: MESSAGES[code] ?? 'Error' } }
}

export { startFakeLamplight as start }
