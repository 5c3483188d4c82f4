/**
 * A broken form file does not stop the others (spec: "the other forms keep serving"), `forms:check`
 * reports it the same way, and a stored referral survives a restart, encrypted at rest.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { buildTestApp, EXAMPLE_FORMS, form, FORM_HEADERS, tempDir, type TestApp } from '../helpers/app.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const TSX = path.join(ROOT, 'node_modules/.bin/tsx')
const run = promisify(execFile)

const BROKEN = [
  'id: broken-form', //                                               1
  'title: Broken', //                                                 2
  'destination: { type: lamplight, workareaid: 1, attendee: client }', // 3
  'people:', //                                                       4
  '  - key: client', //                                               5
  '    heading: Client', //                                           6
  '    fields:', //                                                   7
  '      - { name: first_name, label: First name, type: text }', //  8
  '      - { name: surname, label: Surname, type: text, requried: true }', // 9
  '',
].join('\n')

const dirs: string[] = []
const apps: TestApp[] = []
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A forms folder with carers-referral.yaml (good) and broken-form.yaml (an unknown key on line 9). */
function mixedFormsDir (): string {
  const dir = tempDir('rf-forms-')
  dirs.push(dir)
  copyFileSync(path.join(EXAMPLE_FORMS, 'carers-referral.yaml'), path.join(dir, 'carers-referral.yaml'))
  writeFileSync(path.join(dir, 'broken-form.yaml'), BROKEN)
  return dir
}

describe('a broken form file among good ones', () => {
  it('serves the good form, answers the broken one with a kind "not available" page (503), names it in /healthz, and logs the file, line, path and message', async () => {
    const t = await buildTestApp({ formsDir: mixedFormsDir() })
    apps.push(t)
    expect((await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })).statusCode).toBe(200)
    const broken = await t.app.inject({ method: 'GET', url: '/forms/broken-form' })
    expect(broken.statusCode).toBe(503)
    expect(broken.body).toContain('This form is not available at the moment')
    expect(broken.headers['retry-after']).toBe('3600')
    const posted = await t.app.inject({ method: 'POST', url: '/forms/broken-form', headers: FORM_HEADERS, payload: 'x=1' })
    expect(posted.statusCode).toBe(503)
    expect((await t.app.inject('/forms/no-such-form')).statusCode).toBe(404)
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'degraded', database: 'ok', forms: 1, broken: ['broken-form.yaml'] })
    const entries = t.logs.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    const problem = entries.find((e) => e.file === 'broken-form.yaml')
    expect(problem).toMatchObject({
      level: 50,
      file: 'broken-form.yaml',
      line: 9,
      path: 'people[0].fields[1]',
      msg: 'Form file not loaded: broken-form.yaml, line 9, people[0].fields[1]: unknown key "requried": check the spelling (unknown keys are not allowed)',
    })
    expect(entries).toContainEqual(expect.objectContaining({ forms: ['carers-referral'], broken: ['broken-form.yaml'] }))
    expect(entries).toContainEqual(expect.objectContaining({ level: 50, form: 'broken-form', msg: 'A visitor asked for a form whose file is broken: fix it on the staff pages (Forms)' }))
  })
})

describe('the "not available" page of a broken form', () => {
  const WELSH_FRAMED = BROKEN.replace('id: broken-form', 'id: ffurflen-wedi-torri')
    .replace('title: Broken', 'title: Wedi torri\nlanguage: cy\nembed: { allowed_origins: [https://www.elusen.cymru] }')
  const BAD_ORIGIN = BROKEN.replace('id: broken-form', 'id: bad-origin').replace('title: Broken', 'title: Bad\nembed: { allowed_origins: [https://www.charity.org.uk/forms] }')
  const UNREADABLE = 'id: unreadable\ntitle: [unclosed\nembed: { allowed_origins: [https://www.charity.org.uk] }\n'

  it('is in the form\'s language and may be framed by the sites its file allows, where the file is still readable YAML with valid origins', async () => {
    const dir = tempDir('rf-forms-')
    dirs.push(dir)
    writeFileSync(path.join(dir, 'ffurflen-wedi-torri.yaml'), WELSH_FRAMED)
    writeFileSync(path.join(dir, 'bad-origin.yaml'), BAD_ORIGIN)
    writeFileSync(path.join(dir, 'unreadable.yaml'), UNREADABLE)
    const t = await buildTestApp({ formsDir: dir })
    apps.push(t)
    const framed = await t.app.inject('/forms/ffurflen-wedi-torri')
    expect(framed.statusCode).toBe(503)
    expect(framed.body).toContain('Nid yw’r ffurflen hon ar gael ar hyn o bryd')
    expect(framed.body).toContain('<html lang="cy"')
    expect(framed.headers['content-security-policy']).toContain('frame-ancestors https://www.elusen.cymru')
    expect(framed.headers['x-frame-options']).toBeUndefined()
    for (const id of ['bad-origin', 'unreadable']) {
      const res = await t.app.inject(`/forms/${id}`)
      expect(res.statusCode, id).toBe(503)
      expect(res.body, id).toContain('This form is not available at the moment')
      expect(res.headers['content-security-policy'], id).toContain("frame-ancestors 'none'")
      expect(res.headers['x-frame-options'], id).toBe('DENY')
    }
    // No contact set: no contact list.
    expect(framed.body).not.toContain('tel:')
    // A missing form is still nobody's to frame.
    expect((await t.app.inject('/forms/no-such-form')).headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })

  it('offers the charity\'s phone and email where CONTACT_PHONE and CONTACT_EMAIL are set, in the form\'s language', async () => {
    const dir = tempDir('rf-forms-')
    dirs.push(dir)
    writeFileSync(path.join(dir, 'broken-form.yaml'), BROKEN)
    writeFileSync(path.join(dir, 'ffurflen-wedi-torri.yaml'), WELSH_FRAMED)
    const t = await buildTestApp({ formsDir: dir, env: { CONTACT_PHONE: '+44 1234 567890', CONTACT_EMAIL: 'help@charity.org.uk' } })
    apps.push(t)
    const en = (await t.app.inject('/forms/broken-form')).body
    expect(en).toContain('<p class="body">You can contact us:</p>')
    expect(en).toContain('<li>Telephone: <a href="tel:+441234567890">+44 1234 567890</a></li>')
    expect(en).toContain('<li>Email: <a href="mailto:help@charity.org.uk">help@charity.org.uk</a></li>')
    const cy = (await t.app.inject('/forms/ffurflen-wedi-torri')).body
    expect(cy).toContain('<p class="body">Gallwch gysylltu â ni:</p>')
    expect(cy).toContain('<li>Ffôn: <a href="tel:+441234567890">+44 1234 567890</a></li>')
    expect(cy).toContain('<li>E-bost: <a href="mailto:help@charity.org.uk">help@charity.org.uk</a></li>')
  })
})

describe('npm run forms:check', () => {
  it('exits 1 and prints each problem with file, line and path when a file is broken', async () => {
    const dir = mixedFormsDir()
    const err = await run(TSX, ['src/cli/forms-check.ts', dir], { cwd: ROOT }).then(() => undefined, (e: unknown) => e)
    expect(err).toMatchObject({ code: 1 })
    const stdout = String((err as { stdout: string }).stdout)
    expect(stdout).toContain('ok      carers-referral.yaml (carers-referral)')
    expect(stdout).toContain('broken  broken-form.yaml')
    expect(stdout).toContain('        broken-form.yaml, line 9, people[0].fields[1]: unknown key "requried": check the spelling (unknown keys are not allowed)')
    expect(stdout).toContain('1 form(s) ok, 1 broken')
  })

  it('exits 0 for the example forms, whose JSON Schema is up to date', async () => {
    const { stdout } = await run(TSX, ['src/cli/forms-check.ts', EXAMPLE_FORMS], { cwd: ROOT })
    expect(stdout).toContain('2 form(s) ok, 0 broken')
    expect(stdout).not.toContain('out of date')
  })
})

describe('a restart', () => {
  const SURNAME = 'Featherstonehaugh'
  const EMAIL = 'unique.visitor@example.org'

  async function submit (t: TestApp): Promise<string> {
    const page = await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })
    const res = await t.app.inject({
      method: 'POST',
      url: '/forms/carers-referral',
      headers: FORM_HEADERS,
      payload: form([...ownHiddenInputs(page.body),
        ['carer[0][first_name]', 'Alice'], ['carer[0][surname]', SURNAME], ['carer[0][email]', EMAIL], ['carer[0][postcode]', 'HR9 7US'],
        ['cared_for[0][first_name]', 'Barry'], ['cared_for[0][surname]', SURNAME], ['reason', 'Respite care'], ['consent', '1']]),
    })
    expect(res.statusCode).toBe(303)
    return String(res.headers.location).split('/').at(-1)!
  }

  /** Every byte the store has written (the database, its WAL and shared memory), as latin1 text. */
  const rawBytes = (dataDir: string) => readdirSync(dataDir).filter((f) => f.startsWith('referrals.db'))
    .map((f) => readFileSync(path.join(dataDir, f)).toString('latin1')).join('\n')

  it('keeps the referral and its decrypted answers when a new app opens the same data folder', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const first = await buildTestApp({ dataDir })
    const ref = await submit(first)
    await first.close()

    const second = await buildTestApp({ dataDir })
    apps.push(second)
    const { submissions } = second.app.services.storage
    const row = await submissions.findByReference(ref)
    expect(row).toMatchObject({ reference: ref, form_id: 'carers-referral', destination: 'charitylog', delivered_at: null })
    const data = await submissions.readPersonalData(ref)
    expect(data?.payload).toMatchObject({ destination: 'charitylog', people: [{ first_name: 'Alice', surname: SURNAME, email: EMAIL }, { first_name: 'Barry' }] })
    expect(data?.answers[0]?.items).toContainEqual({ label: 'Last name', answer: SURNAME })
    const confirmation = await second.app.inject({ method: 'GET', url: `/forms/carers-referral/sent/${ref}` })
    expect(confirmation.statusCode).toBe(200)
    expect(confirmation.body).toContain(ref)
  })

  it('never writes the answers to disk in plain text', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const t = await buildTestApp({ dataDir })
    const ref = await submit(t)
    const whileOpen = rawBytes(dataDir)
    await t.close()
    const afterClose = rawBytes(dataDir)
    for (const bytes of [whileOpen, afterClose]) {
      // The row is there in the bytes we read (its plain columns are)...
      expect(bytes).toContain(ref)
      // ...but no answer is.
      expect(bytes).not.toContain(SURNAME)
      expect(bytes).not.toContain(EMAIL)
      expect(bytes).not.toContain('Respite care')
    }
  })
})
