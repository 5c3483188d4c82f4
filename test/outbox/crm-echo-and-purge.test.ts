/**
 * Issue 17, points 1 and 2: a CRM that echoes the referral back in an error answer (Charitylog's
 * url-encoded body, Lamplight's JSON-escaped fields) leaves none of it in the log or in any database
 * column; and once the retention period has passed, nothing derived from the answers is left in any
 * column of any table, nor in the database files (WAL included), whatever a CRM sent back.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import { form, tempDir, type TestApp } from '../helpers/app.js'
import { buildRelayApp, charitylogEnv, isDelivered, lamplightEnv, submit, waitForRow } from '../helpers/relay.js'
import { sqliteOf } from '../helpers/sqlite.js'

const CARER = { first: 'Mary Ann', surname: "O'Neill-Quennell", email: 'mary.oneill@example.org', phone: '07700 900987' }
const CLIENT = { first: 'Siân', surname: 'Llewelyn-Bowen' }
const REFERRER = { first: 'Gwenllian', surname: 'Ap Rhydderch' }
/** What a CRM might send back in an encoding no redactor knows: base64 of the carer's name. */
const OPAQUE = Buffer.from(`${CARER.first} ${CARER.surname}`).toString('base64')

const carer = () => form([
  ['carer[0][_]', '1'], ['carer[0][first_name]', CARER.first], ['carer[0][surname]', CARER.surname],
  ['carer[0][email]', CARER.email], ['carer[0][phone]', CARER.phone], ['carer[0][address1]', '7 Quennell Row'],
  ['carer[0][postcode]', 'hr9 7us'], ['carer[0][ethnicity]', '35'],
  ['cared_for[0][_]', '1'], ['cared_for[0][first_name]', 'Bartholomew'], ['cared_for[0][surname]', CARER.surname],
  ['reason', 'Caring for my brother Bartholomew'], ['heard_from', 'GP'], ['consent', 'yes'],
])
const client = () => form([
  ['client[0][_]', '1'], ['client[0][first_name]', CLIENT.first], ['client[0][surname]', CLIENT.surname],
  ['client[0][email]', 'sian.lb@example.net'], ['client[0][mobile]', '07700 900123'], ['client[0][postcode]', 'sw1a1aa'],
  ['referrer[0][_]', '1'], ['referrer[0][first_name]', REFERRER.first], ['referrer[0][surname]', REFERRER.surname],
  ['referrer[0][email]', 'gwen@council.example.gov.uk'], ['reason', 'Rent arrears at Llewelyn House'], ['urgency', 'High'],
])

/** Every answer, and the encodings a CRM's echo would carry it in. */
const VALUES = [CARER.first, CARER.surname, CARER.email, CARER.phone, 'Bartholomew', 'Quennell', CLIENT.first, CLIENT.surname,
  REFERRER.first, REFERRER.surname, 'sian.lb@example.net', '07700 900123', 'Llewelyn']
const FORMS_OF = (v: string) => [v, encodeURIComponent(v), encodeURIComponent(v).replace(/%20/g, '+'), JSON.stringify(v).slice(1, -1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)]
const ALL_FORMS = [...new Set(VALUES.flatMap(FORMS_OF))]

/** Every value of every column of every table, as text. */
function everyCell (t: TestApp): string[] {
  const db = sqliteOf(t.app)
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]
  return tables.flatMap((table) => (db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>)
    .flatMap((row) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v)))))
}
function databaseBytes (dataDir: string): Buffer {
  return Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('referrals.db')).map((f) => readFileSync(path.join(dataDir, f))))
}

describe('a CRM that echoes the referral back', () => {
  let cl: FakeCharitylog
  let ll: FakeLamplight
  let t: TestApp
  const dataDir = tempDir()
  const refs = { carer: '', client: '' }

  beforeAll(async () => {
    cl = await startFakeCharitylog()
    ll = await startFakeLamplight()
    t = await buildRelayApp({ env: { ...charitylogEnv(cl), ...lamplightEnv(ll), RETRY_BASE_DELAY_MS: '1' }, dataDir })
    // Charitylog: a 503 echoing the url-encoded body, then a 500 with the name in base64; then it takes it.
    cl.faults.echoNext(503)
    cl.faults.nextStatus(500, `Upstream said ${OPAQUE}`)
    // Lamplight: error 1055 (data refused: failed at once) echoing the fields JSON-escaped.
    ll.faults.echoNext('people/add', 1055)
    refs.carer = await submit(t.app, 'carers-referral', carer())
    refs.client = await submit(t.app, 'professional-referral', client())
    await waitForRow(t, refs.carer, 'delivered', isDelivered)
    await waitForRow(t, refs.client, 'failed', (r) => r.failed_at !== null)
  })
  afterAll(async () => {
    await t?.close()
    await cl.close()
    await ll.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('had the answers echoed back, in url-encoding and in JSON escapes (the fakes did echo)', () => {
    expect(cl.requests[0]!.rawBody).toContain(encodeURIComponent(CARER.email))
    expect(ll.requests.some((r) => r.path.startsWith('/people/add'))).toBe(true)
  })

  it('keeps the status and the CRM\'s own code in the reason, with the echoed answers removed', () => {
    const attempts = sqliteOf(t.app).prepare('SELECT detail FROM delivery_attempts ORDER BY id').pluck().all() as string[]
    expect(attempts[0]).toMatch(/^Charitylog answered 503 \(busy or unavailable\); will retry: Could not import: 0\[first_name\]=\[removed\]&0\[surname\]=\[removed\]&0\[email\]=\[removed\]/)
    const lamplight = attempts.find((d) => d?.startsWith('Lamplight'))
    expect(lamplight).toMatch(/^Lamplight refused the attendee's profile \(1055: Invalid data: \{"role":"user","first_name":"\[removed\]","surname":"\[removed\]"/)
  })

  it('writes none of the answers, in any encoding, to the log', () => {
    const log = t.logs.join('')
    for (const v of ALL_FORMS) expect(log, v).not.toContain(v)
  })

  it('keeps none of the answers readable in any column, or in the files, while the referrals are kept', () => {
    const cells = everyCell(t).join('\n')
    const bytes = databaseBytes(dataDir)
    for (const v of ALL_FORMS) {
      expect(cells.includes(v), v).toBe(false)
      expect(bytes.includes(v), v).toBe(false)
    }
    // Only what no redactor can know: the base64 the CRM made up, kept as it came until the purge.
    expect(cells).toContain(OPAQUE)
  })

  it('after the retention period, leaves nothing derived from the answers in any column or file, WAL included', async () => {
    await t.app.services.storage.submissions.readPersonalData(refs.carer).then((d) => expect(d).toBeDefined())
    const now = Date.now() + 60 * 24 * 3600_000
    await t.app.services.storage.outbox.markHandled(refs.client, now - 1000)
    expect(await t.app.services.storage.outbox.purgeDelivered(now, now)).toBe(2)
    const cells = everyCell(t).join('\n')
    const bytes = databaseBytes(dataDir)
    const found = [...ALL_FORMS, OPAQUE].filter((v) => cells.includes(v) || bytes.includes(v))
    expect(found).toEqual([])
    expect(await t.app.services.storage.submissions.readPersonalData(refs.carer)).toBeUndefined()
  })
})
