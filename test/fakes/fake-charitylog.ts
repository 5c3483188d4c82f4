/**
 * A fake Charitylog (Dizions API v2) that enforces the documented contract strictly
 * (../../../shared/reference/crm-apis.md §1): `PUT /external_referral` and `GET /dictionary/client_type`.
 *
 * Its answers are guesses, since Dizions documents none: 401 `{"error":"..."}` for wrong keys, 415 for
 * another content type, 400 `{"error":"..."}` for invalid people, 200 `{"id": n}` on success.
 */
import type { CharitylogCredentials } from '../../src/crm/types.js'
import { startFakeServer, type FakeServer, type Faults, type RecordedRequest, type Reply } from './fake-server.js'

export const FAKE_CHARITYLOG_KEYS: CharitylogCredentials = {
  sourceKey: 'src-key-2f9c81d0e7', orgKey: 'org-key-7b3e55a1c4', userKey: 'usr-key-90ad1e6f28',
}

export const CLIENT_TYPES = [{ id: 7, name: 'Service user' }, { id: 9, name: 'Family member' }, { id: 12, name: 'Professional' }]

export interface CharitylogFaults extends Faults {
  /** Answer the next request with this status and body instead of handling it. */
  nextStatus (status: number, body?: string | object, contentType?: string): void
  /** Answer the next request with this status and the request's own body repeated back (a careless CRM or proxy). */
  echoNext (status: number): void
}

export interface FakeCharitylog extends FakeServer {
  faults: CharitylogFaults
  /** The people of each accepted external referral, as the server parsed them. */
  referrals: Array<{ id: number, people: Array<Record<string, unknown>> }>
}

/** Starts the fake on 127.0.0.1; `keys` are the credentials it accepts. */
export async function startFakeCharitylog (keys: CharitylogCredentials = FAKE_CHARITYLOG_KEYS, port = 0): Promise<FakeCharitylog> {
  const referrals: FakeCharitylog['referrals'] = []
  const canned: Array<Reply | ((req: RecordedRequest) => Reply)> = []
  const server = await startFakeServer((req) => {
    const next = canned.shift()
    return next === undefined ? handle(req) : typeof next === 'function' ? next(req) : next
  }, port)
  const faults: CharitylogFaults = Object.assign(server.faults, {
    nextStatus (status: number, body: string | object = '', contentType?: string) {
      canned.push({ status, body, ...(contentType !== undefined && { contentType }) })
    },
    echoNext (status: number) {
      canned.push((req) => ({ status, body: `Could not import: ${req.rawBody}`, contentType: 'text/plain' }))
    },
  })
  return { ...server, faults, referrals }

  function handle (req: RecordedRequest): Reply {
    const h = req.headers
    if (h.source !== keys.sourceKey || h.org !== keys.orgKey || h.user !== keys.userKey) {
      return { status: 401, body: { error: 'Unauthorised' } }
    }
    if (req.method === 'GET' && req.path === '/dictionary/client_type') return { status: 200, body: CLIENT_TYPES }
    if (req.path !== '/external_referral') return { status: 404, body: { error: 'Not found' } }
    if (req.method !== 'PUT') return { status: 405, body: { error: 'Method not allowed' } }
    if (!(h['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 415, body: { error: 'Body must be x-www-form-urlencoded' } }
    }
    const problem = checkPeople(req.body)
    if (problem) return { status: 400, body: { error: problem } }
    const id = 5000 + referrals.length
    referrals.push({ id, people: Object.values(req.body) as Array<Record<string, unknown>> })
    return { status: 200, body: { id } }
  }
}

/** The body must be people indexed 0..n-1 with the required attributes; undefined when it is. */
function checkPeople (body: Record<string, unknown>): string | undefined {
  const keys = Object.keys(body)
  if (keys.length === 0) return 'No people sent'
  if (keys.some((k, i) => k !== String(i))) return 'Body must be an array of people indexed from 0'
  for (const [i, person] of Object.values(body).entries()) {
    if (typeof person !== 'object' || person === null) return `Person ${i} is not an object`
    const p = person as Record<string, unknown>
    for (const f of ['first_name', 'surname', 'org_type_id']) {
      if (typeof p[f] !== 'string' || p[f] === '') return `Person ${i}: ${f} is required`
    }
    if (p.source !== undefined && (typeof p.referral_role !== 'string' || p.referral_role === '')) {
      return `Person ${i}: referral_role is required with source`
    }
    if (p.relationships !== undefined) {
      if (typeof p.relationships !== 'object' || p.relationships === null) return `Person ${i}: relationships must be a map`
      for (const [to, rel] of Object.entries(p.relationships)) {
        if (!/^\d+$/.test(to) || Number(to) >= keys.length || Number(to) === i) return `Person ${i}: relationship to unknown person ${to}`
        if (typeof rel !== 'string' || !/^\d+$/.test(rel)) return `Person ${i}: relationship id must be a number`
      }
    }
  }
  return undefined
}

export { startFakeCharitylog as start }
