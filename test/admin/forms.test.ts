/**
 * Editing forms from the staff pages: the list, Check and Save with the start-up validation (problems
 * by line), a broken edit never replacing the live form, a good one live at once, history and restore,
 * the preview, a new form from a template, and a forms folder that cannot be written.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { errorSummary } from '../helpers/html-fragments.js'
import { buildAdminApp, signedIn, type AdminTestApp, type AdminTestOptions, type Staff } from './helpers.js'
import { sqliteOf } from '../helpers/sqlite.js'

const apps: AdminTestApp[] = []
afterEach(async () => { for (const a of apps.splice(0)) await a.close() })
async function setUp (opts: AdminTestOptions = {}): Promise<{ t: AdminTestApp, staff: Staff }> {
  const t = await buildAdminApp(opts)
  apps.push(t)
  return { t, staff: await signedIn(t.app) }
}

const CARERS = 'carers-referral'
const fileOf = (t: AdminTestApp, id = CARERS) => readFileSync(path.join(t.formsDir, `${id}.yaml`), 'utf8')
const baseIn = (html: string) => /name="base" value="([^"]*)"/.exec(html)?.[1] ?? ''

/** Opens the editor and posts `yaml` with the button `intent`, as the page's form does. */
async function edit (staff: Staff, yaml: string, intent: string, id = CARERS) {
  const page = await staff.get(`/admin/forms/${id}/edit`)
  return staff.post(`/admin/forms/${id}/edit`, { yaml, base: baseIn(page.body), intent })
}

/** Check: a redirect to the editor's GET page of the draft (so Back never resubmits), then that page. */
async function check (staff: Staff, yaml: string, id = CARERS) {
  const res = await edit(staff, yaml, 'check', id)
  expect(res.statusCode).toBe(303)
  expect(res.headers.location).toBe(`/admin/forms/${id}/edit?draft=checked`)
  return staff.get(res.headers.location as string)
}

describe('the forms list', () => {
  it('shows each live form with its links and the embed code for PUBLIC_URL', async () => {
    const { staff } = await setUp({ env: { PUBLIC_URL: 'http://forms.example.org.uk:8080' } })
    const res = await staff.get('/admin/forms')
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Refer yourself for carer support')
    expect(res.body).toContain('href="/forms/carers-referral"')
    expect(res.body).toContain('href="/admin/forms/carers-referral/edit"')
    expect(res.body).toContain('&lt;script src=&quot;http://forms.example.org.uk:8080/embed.js&quot; data-form=&quot;carers-referral&quot; async&gt;&lt;/script&gt;\n' +
      '&lt;noscript&gt;&lt;a href=&quot;http://forms.example.org.uk:8080/forms/carers-referral&quot;&gt;Open the referral form&lt;/a&gt;&lt;/noscript&gt;')
    expect(res.body).toContain('Paste it into a page of https://www.example-carers.org.uk.')
    // No snippet for a form no website may frame: it would not work.
    expect(res.body).not.toContain('data-form=&quot;professional-referral&quot;')
    expect(res.body).toContain('No website may show this form in a frame yet')
  })

  it('shows a broken file as not live, with its problems and their line numbers, and a link to fix it', async () => {
    const { t, staff } = await setUp()
    writeFileSync(path.join(t.formsDir, 'broken-one.yaml'), 'id: broken-one\ntitle: Broken\ndestination: { type: charitylog }\nfields:\n  - { name: a, lable: A, type: text }\n')
    await t.app.services.forms.reload()
    const res = await staff.get('/admin/forms')
    expect(res.body).toContain('broken-one.yaml')
    expect(res.body).toContain('Not live')
    expect(res.body).toContain('Line 5, fields[0]: unknown key &quot;lable&quot;')
    expect(res.body).toContain('href="/admin/forms/broken-one/edit"')
  })
})

describe('the editor', () => {
  it('refuses to save broken YAML: 422, the problems by line next to a numbered copy of the text, the live form unchanged', async () => {
    const { t, staff } = await setUp()
    const before = fileOf(t)
    const broken = before.replace('label: Last name, type: text, required: true, autocomplete: family-name', 'lable: Last name, type: text')
    const res = await edit(staff, broken, 'save')
    expect(res.statusCode).toBe(422)
    const line = broken.split('\n').findIndex((l) => l.includes('lable:')) + 1
    expect(errorSummary(res.body)).toContainEqual([`#line-${line}`, `Line ${line}, people[0].fields[1]: unknown key &quot;lable&quot;: check the spelling (unknown keys are not allowed)`])
    expect(res.body).toMatch(new RegExp(`<li class="yaml__line yaml__line--error" id="line-${line}" tabindex="-1"><span class="yaml__no"><span class="visually-hidden">Problem on line</span> ${line}</span><code>[^<]*lable: Last name`))
    expect(res.body).toContain('There are 2 problems')
    // The text comes back in the textarea to be fixed, not lost.
    expect(res.body).toContain('lable: Last name, type: text }')
    expect(fileOf(t)).toBe(before)
    const live = await t.app.inject('/forms/carers-referral')
    expect(live.body).toContain('Last name')
    expect(sqliteOf(t.app).prepare('SELECT count(*) AS n FROM form_versions').get()).toEqual({ n: 0 })
  })

  it('reports unreadable YAML with its line', async () => {
    const { staff } = await setUp()
    const res = await check(staff, 'id: carers-referral\ntitle: [unclosed\ndestination: x\n')
    expect(res.statusCode).toBe(422)
    expect(errorSummary(res.body)[0]?.[1]).toMatch(/^Line \d: the YAML cannot be read/)
  })

  it('refuses a text whose id is not the file name', async () => {
    const { t, staff } = await setUp()
    const res = await edit(staff, fileOf(t).replace('id: carers-referral', 'id: another-form'), 'save')
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('must equal the file name')
  })

  it('checks without saving: "no problems found", the file untouched', async () => {
    const { t, staff } = await setUp()
    const before = fileOf(t)
    const res = await check(staff, before.replace('How can we help?', 'What do you need?'))
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('No problems found')
    expect(fileOf(t)).toBe(before)
  })

  it('saves a good edit atomically and makes it live at once, keeping the old version in the history', async () => {
    const { t, staff } = await setUp()
    const before = fileOf(t)
    // A browser sends a textarea's lines with CRLF; the file keeps LF.
    const res = await edit(staff, before.replace('How can we help?', 'What do you need from us?').replace(/\n/g, '\r\n'), 'save')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/forms/carers-referral/edit')
    expect((await staff.get('/admin/forms/carers-referral/edit')).body).toContain('Saved. The live form carers-referral now shows your changes.')
    expect(fileOf(t)).toBe(before.replace('How can we help?', 'What do you need from us?'))
    expect(readdirSync(t.formsDir).filter((n) => n.endsWith('.tmp'))).toEqual([])
    const live = await t.app.inject('/forms/carers-referral')
    expect(live.body).toContain('What do you need from us?')
    expect(live.body).not.toContain('How can we help?')
    const history = await staff.get('/admin/forms/carers-referral/history')
    expect(history.body).toContain('href="/admin/forms/carers-referral/history/1"')
    const version = await staff.get('/admin/forms/carers-referral/history/1')
    expect(version.body).toContain('How can we help?')
    const audit = sqliteOf(t.app).prepare('SELECT action, subject FROM audit_log WHERE action != ?').all('sign-in')
    expect(audit).toEqual([{ action: 'form saved', subject: 'carers-referral' }])
  })

  it('restores an earlier version: checked, live at once, and the replaced version kept too', async () => {
    const { t, staff } = await setUp()
    const original = fileOf(t)
    await edit(staff, original.replace('How can we help?', 'Second wording'), 'save')
    await edit(staff, fileOf(t).replace('Second wording', 'Third wording'), 'save')
    const versions = (await staff.get('/admin/forms/carers-referral/history')).body
    expect(versions.match(/history\/\d+"/g)).toEqual(['history/2"', 'history/1"'])
    await staff.get('/admin/forms/carers-referral/history/1')
    const res = await staff.post('/admin/forms/carers-referral/history/1/restore')
    expect(res.statusCode).toBe(303)
    expect(fileOf(t)).toBe(original)
    expect((await t.app.inject('/forms/carers-referral')).body).toContain('How can we help?')
    expect((await staff.get('/admin/forms/carers-referral/history')).body).toContain('history/3"')
    const actions = (sqliteOf(t.app).prepare('SELECT action FROM audit_log ORDER BY id').all() as Array<{ action: string }>).map((a) => a.action)
    expect(actions).toEqual(['sign-in', 'form saved', 'form saved', 'form restored'])
  })

  it('will not restore a version that no longer passes the checks', async () => {
    const { t, staff } = await setUp()
    const before = fileOf(t)
    sqliteOf(t.app).prepare('INSERT INTO form_versions (form_id, text, hash, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?)')
      .run(CARERS, 'id: carers-referral\ntitle: Old\n', 'oldhash', 0, 'staff')
    await staff.get('/admin/forms/carers-referral/history/1')
    const res = await staff.post('/admin/forms/carers-referral/history/1/restore')
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('no longer passes the checks')
    expect(fileOf(t)).toBe(before)
  })

  it('will not overwrite a save made by someone else since the editor was opened', async () => {
    const { t, staff } = await setUp()
    const page = await staff.get('/admin/forms/carers-referral/edit')
    await edit(staff, fileOf(t).replace('How can we help?', 'Colleague wording'), 'save')
    const res = await staff.post('/admin/forms/carers-referral/edit', { yaml: fileOf(t).replace('Colleague wording', 'My wording'), base: baseIn(page.body), intent: 'save' })
    expect(res.statusCode).toBe(409)
    expect(res.body).toContain('changed by someone else')
    expect(fileOf(t)).toContain('Colleague wording')
  })

  it('answers 404 for a form that does not exist or an id that is not a form id', async () => {
    const { staff } = await setUp()
    expect((await staff.get('/admin/forms/no-such-form/edit')).statusCode).toBe(404)
    expect((await staff.get('/admin/forms/..%2Fsecret/edit')).statusCode).toBe(404)
    expect((await staff.post('/admin/forms/..%2Fsecret/edit', { yaml: 'x', base: '', intent: 'save' })).statusCode).toBe(404)
    expect((await staff.get('/admin/forms/carers-referral/history/99')).statusCode).toBe(404)
  })
})

describe('the preview', () => {
  it('shows the edited form as visitors will see it, inside a preview banner, before saving', async () => {
    const { t, staff } = await setUp()
    const before = fileOf(t)
    const res = await edit(staff, before.replace('How can we help?', 'Previewed wording'), 'preview')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/forms/carers-referral/preview')
    const page = await staff.get('/admin/forms/carers-referral/preview')
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Preview of your unsaved changes')
    expect(page.body).toContain('Previewed wording')
    expect(page.body).toContain('<h1 class="heading-l">Refer yourself for carer support</h1>')
    expect(page.body).toContain('action="/admin/forms/carers-referral/preview"')
    expect(page.body).toContain('href="/admin/forms/carers-referral/edit?draft"')
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(fileOf(t)).toBe(before)
    expect((await t.app.inject('/forms/carers-referral')).body).not.toContain('Previewed wording')
    const back = await staff.get('/admin/forms/carers-referral/edit?draft')
    expect(back.body).toContain('Previewed wording')
    expect(back.body).toContain('These are your unsaved changes.')
  })

  it('works like the real form (add a person, check answers) but never stores or sends anything', async () => {
    const { t, staff } = await setUp()
    await edit(staff, fileOf(t), 'preview')
    await staff.get('/admin/forms/carers-referral/preview')
    const added = await staff.post('/admin/forms/carers-referral/preview', { 'cared_for[0][_]': '1', _action: 'add:cared_for' })
    expect(added.statusCode).toBe(200)
    expect(added.body).toContain('name="cared_for[1][_]"')
    const invalid = await staff.post('/admin/forms/carers-referral/preview', { _action: 'submit' })
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid.body).length).toBeGreaterThan(0)
    const valid = await staff.post('/admin/forms/carers-referral/preview', {
      'carer[0][_]': '1',
      'carer[0][first_name]': 'Ann',
      'carer[0][surname]': 'Example',
      'carer[0][postcode]': 'HR9 7US',
      'cared_for[0][_]': '1',
      'cared_for[0][first_name]': 'Bob',
      'cared_for[0][surname]': 'Example',
      reason: 'Help',
      consent: '1',
      _action: 'submit',
    })
    expect(valid.statusCode).toBe(200)
    expect(valid.body).toContain('these answers would be accepted. Nothing has been sent or stored.')
    expect(sqliteOf(t.app).prepare('SELECT count(*) AS n FROM submissions').get()).toEqual({ n: 0 })
  })

  it('refuses to preview broken YAML and shows its problems instead', async () => {
    const { staff } = await setUp()
    const res = await edit(staff, 'id: carers-referral\n', 'preview')
    expect(res.headers.location).toBe('/admin/forms/carers-referral/edit?draft=checked')
    const page = await staff.get(res.headers.location as string)
    expect(page.statusCode).toBe(422)
    expect(page.body).toContain('There is a problem')
    // The text to fix is the one sent, not the file.
    expect(page.body).toMatch(/<textarea[^>]*id="yaml"[^>]*>\nid: carers-referral\n<\/textarea>/)
  })

  it('sends a preview without a draft back to the editor', async () => {
    const { staff } = await setUp()
    const res = await staff.get('/admin/forms/carers-referral/preview')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/forms/carers-referral/edit')
  })
})

describe('a new form', () => {
  it('starts from the Lamplight template with the new id and goes live when saved', async () => {
    const { t, staff } = await setUp()
    await staff.get('/admin/forms/new')
    const res = await staff.post('/admin/forms/new', { id: 'benefits-advice', template: 'lamplight' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/admin/forms/benefits-advice/edit?draft')
    const editor = await staff.get('/admin/forms/benefits-advice/edit?draft')
    expect(editor.body).toContain('New form: benefits-advice.yaml')
    expect(editor.body).toContain('id: benefits-advice')
    expect(editor.body).toContain('type: lamplight')
    expect((await t.app.inject('/forms/benefits-advice')).statusCode).toBe(404)
    const text = /<textarea[^>]*id="yaml"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(editor.body)![1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    const saved = await staff.post('/admin/forms/benefits-advice/edit', { yaml: text, base: '', intent: 'save' })
    expect(saved.statusCode).toBe(303)
    const live = await t.app.inject('/forms/benefits-advice')
    expect(live.statusCode).toBe(200)
    expect(live.body).toContain('New form')
    const actions = sqliteOf(t.app).prepare("SELECT action, subject FROM audit_log WHERE action = 'form created'").all()
    expect(actions).toEqual([{ action: 'form created', subject: 'benefits-advice' }])
  })

  it('starts from the Charitylog template without the example\'s allowed website', async () => {
    const { staff } = await setUp()
    await staff.get('/admin/forms/new')
    await staff.post('/admin/forms/new', { id: 'carers-two', template: 'charitylog' })
    const editor = await staff.get('/admin/forms/carers-two/edit')
    expect(editor.body).toContain('type: charitylog')
    expect(editor.body).not.toContain('allowed_origins')
  })

  it('asks for a valid, unused id and a template', async () => {
    const { staff } = await setUp()
    await staff.get('/admin/forms/new')
    const bad = await staff.post('/admin/forms/new', { id: 'Not An Id' })
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad.body)).toEqual([
      ['#id', 'Enter an id of lower-case letters, digits and hyphens, like benefits-advice'],
      ['#template-charitylog', 'Choose where referrals from this form go'],
    ])
    const taken = await staff.post('/admin/forms/new', { id: 'carers-referral', template: 'charitylog' })
    expect(taken.statusCode).toBe(422)
    expect(errorSummary(taken.body)).toEqual([['#id', 'There is already a form called carers-referral: choose another id']])
  })
})

describe('a forms folder that cannot be written', () => {
  it('says so, still checks and previews, offers the text to download, and refuses to save', async () => {
    const { t, staff } = await setUp({ formsWritable: async () => false })
    const before = fileOf(t)
    const page = await staff.get('/admin/forms/carers-referral/edit')
    expect(page.body).toContain('cannot be written by the server')
    expect(page.body).not.toContain('value="save"')
    expect(page.body).toContain('value="download"')
    expect((await staff.get('/admin/forms')).body).toContain('cannot be written by the server')
    const changed = before.replace('How can we help?', 'Read-only wording')
    expect((await check(staff, changed)).body).toContain('No problems found')
    expect((await edit(staff, changed, 'preview')).statusCode).toBe(303)
    expect((await staff.get('/admin/forms/carers-referral/preview')).body).toContain('Read-only wording')
    const download = await edit(staff, changed, 'download')
    expect(download.statusCode).toBe(200)
    expect(download.headers['content-disposition']).toBe('attachment; filename="carers-referral.yaml"')
    expect(download.headers['content-type']).toMatch(/^application\/yaml/)
    expect(download.body).toBe(changed)
    const save = await edit(staff, changed, 'save')
    expect(save.statusCode).toBe(409)
    expect(save.body).toContain('cannot be written, so this was not saved')
    expect(fileOf(t)).toBe(before)
  })

  // As root (CI containers), chmod does not stop writes and access(W_OK) says yes to every folder, so a
  // real read-only folder cannot be made here: the test above covers the behaviour by injection.
  it.skipIf(process.getuid?.() === 0)('detects a real read-only folder (chmod 0555) with fs.access', async () => {
    const { t, staff } = await setUp()
    chmodSync(t.formsDir, 0o555)
    try {
      const page = await staff.get('/admin/forms/carers-referral/edit')
      expect(page.body).toContain('cannot be written by the server')
      const save = await edit(staff, fileOf(t).replace('How can we help?', 'x'), 'save')
      expect(save.statusCode).toBe(409)
    } finally {
      chmodSync(t.formsDir, 0o755)
    }
  })
})
