/**
 * The app on PostgreSQL (issue 12), two servers on one database as a charity would run them behind a
 * load balancer: the forms live in the database (FORMS_DIR imported at first start), a form saved on
 * one server is served by the other at once, a staff session works on both, a form token spent on one
 * is spent on both, and a database that stops for 10 s costs visitors a kind "try again" page with
 * their answers kept, never a 500 or a confirmation of something not stored.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog } from '../fakes/fake-charitylog.js'
import { addAccount, buildAdminApp, signedInAs, type AdminTestApp } from '../admin/helpers.js'
import { form, FORM_HEADERS } from '../helpers/app.js'
import { errorSummary, ownHiddenInputs } from '../helpers/html-fragments.js'
import { createDatabase, SHARED_SECRET, startPrivatePostgres } from '../helpers/postgres.js'
import { carersBody, waitFor } from '../helpers/relay.js'

const opened: Array<() => Promise<unknown>> = []
afterEach(async () => { for (const close of opened.splice(0).reverse()) await close() })

async function server (databaseUrl: string, extra: Parameters<typeof buildAdminApp>[0] = {}): Promise<AdminTestApp> {
  const t = await buildAdminApp({ password: null, ...extra, env: { DATABASE_URL: databaseUrl, SECRET_KEY: SHARED_SECRET, MIN_FILL_SECONDS: '0', ...extra.env } })
  opened.push(() => t.close())
  return t
}

async function twoServers () {
  const db = await createDatabase()
  opened.push(db.drop)
  const a = await server(db.url)
  const b = await server(db.url)
  return { db, a, b }
}

const carer = { first: 'Olwen', surname: 'Pritchard' }
const caredFor = { first: 'Gwilym', surname: 'Pritchard' }

/** The carers form's page and a filled-in body with that page's own hidden inputs (its form token). */
async function filledIn (app: FastifyInstance): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/forms/carers-referral' })
  expect(page.statusCode).toBe(200)
  return `${form(ownHiddenInputs(page.body))}&${carersBody(carer, [caredFor])}`
}

const send = (app: FastifyInstance, body: string) => app.inject({ method: 'POST', url: '/forms/carers-referral', headers: FORM_HEADERS, payload: body })

describe('two servers on one PostgreSQL database', () => {
  it('imports FORMS_DIR at first start, and serves a form saved on one server from the other at once', async () => {
    const { a, b } = await twoServers()
    const ids = (t: AdminTestApp) => t.app.services.forms.list().map((f) => f.definition.id).sort()
    expect(ids(a)).toEqual(['carers-referral', 'professional-referral'])
    expect(ids(b)).toEqual(ids(a))
    expect(a.logs.join('')).toContain('Imported 2 form(s)')
    expect(b.logs.join('')).not.toContain('Imported')

    await addAccount(a.app, 'editor@example.org', 'editor')
    const staff = await signedInAs(a.app, 'editor@example.org')
    const editor = await staff.get('/admin/forms/carers-referral/edit')
    const base = /name="base" value="([^"]+)"/.exec(editor.body)![1]!
    const original = a.app.services.forms.get('carers-referral')!
    const text = readFileSync(path.join(a.formsDir, 'carers-referral.yaml'), 'utf8')
    const saved = await staff.post('/admin/forms/carers-referral/edit', { yaml: text.replace(/^title: .*$/m, 'title: Carers – saved on server A'), base, intent: 'save' })
    expect(saved.statusCode).toBe(303)

    const started = Date.now()
    await waitFor('server B serving the saved form', async () => {
      const page = await b.app.inject({ method: 'GET', url: '/forms/carers-referral' })
      return page.body.includes('Carers – saved on server A')
    }, 3000)
    expect(Date.now() - started).toBeLessThan(3000)
    // Saved in the database, not in a file of either server.
    expect(readFileSync(path.join(a.formsDir, 'carers-referral.yaml'), 'utf8')).toBe(text)
    expect(b.app.services.forms.get('carers-referral')!.hash).not.toBe(original.hash)

    // The staff session is the database's: the same cookie works on B, which shows the history with who saved.
    const onB = await b.app.inject({ method: 'GET', url: '/admin/forms/carers-referral/history', headers: { cookie: `rf_admin=${staff.cookie}` } })
    expect(onB.statusCode).toBe(200)
    expect(onB.body).toContain('editor')

    // Someone who opened the form before A's save, saving on B, is refused, and A's save is kept.
    const staffB = await signedInAs(b.app, 'editor@example.org')
    await staffB.get('/admin/forms/carers-referral/edit')
    const late = await staffB.post('/admin/forms/carers-referral/edit', { yaml: text.replace(/^title: .*$/m, 'title: Late'), base, intent: 'save' })
    expect(late.statusCode).toBe(409)
    expect(late.body).toContain('changed by someone else')
    expect(a.app.services.forms.get('carers-referral')!.definition.title).toBe('Carers – saved on server A')
  }, 60_000)

  it('stores nothing twice when a form token spent on one server is sent again to the other', async () => {
    const { a, b } = await twoServers()
    const body = await filledIn(a.app)
    const first = await send(a.app, body)
    expect(first.statusCode).toBe(303)
    const again = await send(b.app, body)
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe(first.headers.location)
    expect(await a.app.services.storage.submissions.listRecent(10)).toHaveLength(1)
    // The confirmation page, served by either.
    const confirmation = await b.app.inject({ method: 'GET', url: String(first.headers.location) })
    expect(confirmation.statusCode).toBe(200)
  }, 60_000)
})

describe('PostgreSQL stopped for 10 s while visitors submit', () => {
  it('asks visitors to try again in a minute with their answers kept, and recovers by itself when it is back', async () => {
    const pgServer = await startPrivatePostgres()
    opened.push(async () => pgServer.destroy())
    const crm = await startFakeCharitylog()
    opened.push(() => crm.close())
    const t = await server(pgServer.url, {
      startWorker: true,
      env: {
        CHARITYLOG_API_URL: crm.url,
        CHARITYLOG_SOURCE_KEY: FAKE_CHARITYLOG_KEYS.sourceKey,
        CHARITYLOG_ORG_KEY: FAKE_CHARITYLOG_KEYS.orgKey,
        CHARITYLOG_USER_KEY: FAKE_CHARITYLOG_KEYS.userKey,
        RETRY_BASE_DELAY_MS: '100',
      },
    })
    const { app } = t
    const before = await send(app, await filledIn(app))
    expect(before.statusCode).toBe(303)
    const firstRef = /\/sent\/([A-Z0-9]{8})$/.exec(String(before.headers.location))![1]!
    await waitFor('the first referral delivered', async () => typeof (await app.services.storage.submissions.findByReference(firstRef))?.delivered_at === 'number', 10_000)

    const body = await filledIn(app)
    pgServer.stop()
    const stoppedAt = Date.now()
    const statuses: number[] = []
    let last
    while (Date.now() - stoppedAt < 10_000) {
      last = await send(app, body)
      statuses.push(last.statusCode)
      expect(last.statusCode).toBe(503)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    expect(statuses.length).toBeGreaterThanOrEqual(3)
    // The visitor's own page, with every answer still in it, and a kind notice; no confirmation.
    expect(last!.headers['retry-after']).toBe('60')
    expect(last!.headers.location).toBeUndefined()
    expect(last!.body).toContain('we could not save your referral just now')
    for (const answer of [carer.first, carer.surname, caredFor.first, 'I look after my parents and need a break', 'hr9 7us']) {
      expect(last!.body).toContain(answer)
    }
    expect(errorSummary(last!.body)).toEqual([])
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    expect(health.statusCode).toBe(503)
    // The staff pages say so kindly too.
    const staffPage = await app.inject({ method: 'GET', url: '/admin/sign-in' })
    expect(staffPage.statusCode).toBe(503)
    expect(staffPage.body).toContain('The database is not answering just now')

    pgServer.start()
    // The same page sent again (its token unspent) is stored, once the pool has new connections.
    const after = await waitFor('a submission stored after the restart', async () => {
      const r = await send(app, body)
      return r.statusCode === 303 ? r : undefined
    }, 20_000)
    const reference = /\/sent\/([A-Z0-9]{8})$/.exec(String(after.headers.location))![1]!
    expect((await app.inject({ method: 'GET', url: String(after.headers.location) })).statusCode).toBe(200)
    await waitFor('the worker delivering again', async () => typeof (await app.services.storage.submissions.findByReference(reference))?.delivered_at === 'number', 20_000)
    expect(crm.referrals).toHaveLength(2)
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    const logs = t.logs.join('')
    expect(logs).toContain('The database did not answer while storing a referral')
    expect(logs).not.toContain('Unexpected error')
  }, 90_000)
})
