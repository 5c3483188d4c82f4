/**
 * The form builder with two servers on one PostgreSQL database: a draft made on one is the draft on the
 * other (a stale page on either is refused), and publishing it on the other makes it live on both at once,
 * with the database's copy of the form, not a file, changed.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createDatabase, SHARED_SECRET } from '../helpers/postgres.js'
import { waitFor } from '../helpers/relay.js'
import { addAccount, buildAdminApp, signedInAs, type AdminTestApp } from './helpers.js'

const opened: Array<() => Promise<unknown>> = []
afterEach(async () => { for (const close of opened.splice(0).reverse()) await close() })

async function server (url: string): Promise<AdminTestApp> {
  const t = await buildAdminApp({ password: null, env: { DATABASE_URL: url, SECRET_KEY: SHARED_SECRET } })
  opened.push(() => t.close())
  return t
}

const seenIn = (html: string) => /name="seen" value="([^"]+)"/.exec(html)![1]!

it('a draft made on one server is published from the other, and is live on both', async () => {
  const db = await createDatabase()
  opened.push(db.drop)
  const a = await server(db.url)
  const b = await server(db.url)
  await addAccount(a.app, 'ed@example.org', 'editor', undefined, 'Ed Itor')
  await addAccount(a.app, 'eve@example.org', 'editor', undefined, 'Eve Other')
  const ed = await signedInAs(a.app, 'ed@example.org')
  const eve = await signedInAs(b.app, 'eve@example.org')
  const fileBefore = readFileSync(path.join(a.formsDir, 'carers-referral.yaml'), 'utf8')

  const onA = await ed.get('/admin/forms/carers-referral/build')
  const staleOnB = await eve.get('/admin/forms/carers-referral/build')
  expect((await ed.post('/admin/forms/carers-referral/build/question', { seen: seenIn(onA.body), list: 'fields', index: '0', label: 'What would help most?', required: 'yes', send: 'name' })).statusCode).toBe(303)
  // Eve's page was from before Ed's change: refused, on the other server too.
  const refused = await eve.post('/admin/forms/carers-referral/build/move', { seen: seenIn(staleOnB.body), list: 'fields', index: '0', dir: 'down' })
  expect(refused.statusCode).toBe(409)
  const fresh = await eve.get('/admin/forms/carers-referral/build')
  expect(fresh.body).toContain('What would help most?')
  expect(fresh.body).toContain('Last changed by Ed Itor')
  expect((await eve.post('/admin/forms/carers-referral/build/publish', { seen: seenIn(fresh.body) })).statusCode).toBe(303)

  for (const t of [a, b]) {
    await waitFor('the published form live', async () => (await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })).body.includes('What would help most?'), 5000)
  }
  expect(readFileSync(path.join(a.formsDir, 'carers-referral.yaml'), 'utf8')).toBe(fileBefore)
  expect((await a.app.services.storage.forms.get('carers-referral'))!.updated_by).toContain('Eve Other')
  expect(await a.app.services.storage.drafts.get('carers-referral')).toBeUndefined()
}, 60_000)
