/**
 * The form builder (issue 14), through the real routes: the questions as visitors meet them, changes
 * kept in a draft that visitors do not see, a second editor's stale change refused with the first's kept,
 * publishing only a draft that passes the checks (with who published it in the history), discarding,
 * and the YAML file keeping the comments a person wrote.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { addAccount, signedInAs, useAdminApps, type Staff } from './helpers.js'

const build = useAdminApps()

async function setUp () {
  const t = await build()
  const file = path.join(t.formsDir, 'carers-referral.yaml')
  // A comment a person wrote, which must survive the builder's changes.
  writeFileSync(file, readFileSync(file, 'utf8').replace('  - { name: reason,', '  # Kept: the main question\n  - { name: reason,'))
  await t.app.services.forms.reload()
  await addAccount(t.app, 'ed@example.org', 'editor', undefined, 'Ed Itor')
  await addAccount(t.app, 'eve@example.org', 'editor', undefined, 'Eve Other')
  const ed = await signedInAs(t.app, 'ed@example.org')
  return { t, file, ed }
}

const seenIn = (html: string) => /name="seen" value="([^"]+)"/.exec(html)![1]!
const questionOrder = (html: string) => [...html.matchAll(/<h3 class="heading-m" id="q-([a-z0-9-]+)-label">([^<]+)<\/h3>/g)].map((m) => `${m[1]} ${m[2]}`)

async function page (staff: Staff, id = 'carers-referral') {
  const res = await staff.get(`/admin/forms/${id}/build`)
  expect(res.statusCode).toBe(200)
  return res.body
}

describe('the form builder', () => {
  it('lists the questions in the order visitors meet them, with type, required and where each answer goes', async () => {
    const { ed } = await setUp()
    const html = await page(ed)
    expect(html).toContain('People: About you')
    expect(html).toContain('About the referral')
    expect(questionOrder(html).slice(0, 3)).toEqual(['people-0-0 First name', 'people-0-1 Last name', 'people-0-2 Email address'])
    expect(html).toContain('tel: A phone number')
    expect(html).toContain('tel1')
    expect(html).toContain('Not sent to the CRM')
    expect(html).toContain('This is the live form.')
  })

  it('moves a question into a draft, leaving the live form as it is until published, then publishes with who did it', async () => {
    const { t, file, ed } = await setUp()
    const before = readFileSync(file, 'utf8')
    const moved = await ed.post('/admin/forms/carers-referral/build/move', { seen: seenIn(await page(ed)), list: 'people-0', index: '1', dir: 'up' })
    expect(moved.statusCode).toBe(303)
    expect(moved.headers.location).toBe('/admin/forms/carers-referral/build#q-people-0-0')
    const html = await page(ed)
    expect(html).toContain('Draft: not live yet')
    expect(html).toContain('Last changed by Ed Itor &lt;ed@example.org&gt;')
    expect(questionOrder(html).slice(0, 2)).toEqual(['people-0-0 Last name', 'people-0-1 First name'])
    // Visitors: unchanged, and so is the file.
    const live = await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })
    expect(live.body.indexOf('First name')).toBeLessThan(live.body.indexOf('Last name'))
    expect(readFileSync(file, 'utf8')).toBe(before)

    const changed = await ed.post('/admin/forms/carers-referral/build/question', { seen: seenIn(html), list: 'fields', index: '0', label: 'What would help you most?', hint: 'A few words are enough', required: 'yes' })
    expect(changed.statusCode).toBe(303)
    const published = await ed.post('/admin/forms/carers-referral/build/publish', { seen: seenIn(await page(ed)) })
    expect(published.statusCode).toBe(303)
    const after = readFileSync(file, 'utf8')
    expect(after).toContain('# yaml-language-server: $schema=./form.schema.json')
    expect(after).toContain('  # Kept: the main question\n  - { name: reason, label: What would help you most?, type: textarea, required: true, hint: A few words are enough }')
    const now = await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })
    expect(now.body.indexOf('Last name')).toBeLessThan(now.body.indexOf('First name'))
    expect(now.body).toContain('What would help you most?')
    expect(await page(ed)).toContain('This is the live form.')
    const history = await ed.get('/admin/forms/carers-referral/history')
    expect(history.body).toContain('Ed Itor')
    const audit = await t.app.services.storage.audit.list(0, 5)
    expect(audit[0]).toMatchObject({ action: 'form saved', subject: 'carers-referral', detail: 'published from the form builder' })
  })

  it('refuses a second editor\'s change made from a page that is out of date, keeping the first', async () => {
    const { t, ed } = await setUp()
    const eve = await signedInAs(t.app, 'eve@example.org')
    const seenByBoth = seenIn(await page(ed))
    expect(seenIn(await page(eve))).toBe(seenByBoth)
    expect((await ed.post('/admin/forms/carers-referral/build/move', { seen: seenByBoth, list: 'fields', index: '0', dir: 'down' })).statusCode).toBe(303)
    const stale = await eve.post('/admin/forms/carers-referral/build/question', { seen: seenByBoth, list: 'people-0', index: '0', label: 'Given name', hint: '', required: 'yes' })
    expect(stale.statusCode).toBe(409)
    expect(stale.body).toContain('Someone else changed this form (Ed Itor &lt;ed@example.org&gt;')
    expect(stale.body).toContain('your change was not made')
    const draft = (await t.app.services.storage.drafts.get('carers-referral'))!
    expect(draft.text).not.toContain('Given name')
    expect(draft.version).toBe(1)
  })

  it('asks for the question text kindly, keeping what was typed', async () => {
    const { ed } = await setUp()
    const res = await ed.post('/admin/forms/carers-referral/build/question', { seen: seenIn(await page(ed)), list: 'fields', index: '0', label: '  ', hint: 'Keep me', required: 'no' })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('Enter the question, as visitors will read it')
    expect(res.body).toContain('value="Keep me"')
  })

  it('will not publish a draft with problems, listing them; deletes and discards', async () => {
    const { t, file, ed } = await setUp()
    const before = readFileSync(file, 'utf8')
    // The referral's main question is the one Charitylog's description is made from: deleting it breaks the form.
    const confirm = await ed.get('/admin/forms/carers-referral/build/delete?list=fields&index=0')
    expect(confirm.body).toContain('Delete “How can we help?”?')
    expect((await ed.post('/admin/forms/carers-referral/build/delete', { seen: seenIn(confirm.body), list: 'fields', index: '0' })).statusCode).toBe(303)
    const html = await page(ed)
    expect(html).toContain('Fix these before publishing')
    expect(html).toContain('there is no top-level field named')
    const refused = await ed.post('/admin/forms/carers-referral/build/publish', { seen: seenIn(html) })
    expect(refused.statusCode).toBe(422)
    expect(refused.body).toContain('error-summary')
    expect(readFileSync(file, 'utf8')).toBe(before)
    const discarded = await ed.post('/admin/forms/carers-referral/build/discard', { seen: seenIn(html) })
    expect(discarded.statusCode).toBe(303)
    expect(await t.app.services.storage.drafts.get('carers-referral')).toBeUndefined()
    expect(await page(ed)).toContain('How can we help?')
  })

  it('form settings: who is asking and what happens next, which a form cannot be published without', async () => {
    const { t, file, ed } = await setUp()
    const settings = await ed.get('/admin/forms/carers-referral/build/settings')
    expect(settings.body).toContain('value="https://www.example-carers.org.uk/privacy"')
    const bad = await ed.post('/admin/forms/carers-referral/build/settings', { seen: seenIn(settings.body), title: 'Carers', privacy: 'not a link', phone: '', email: '', next: '' })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toContain('Enter the privacy notice’s full address, starting with https://')
    const saved = await ed.post('/admin/forms/carers-referral/build/settings', { seen: seenIn(settings.body), title: 'Carers’ support', intro: 'Tell us about you.', privacy: '', phone: '', email: '', next: '', offer_email: 'yes' })
    expect(saved.statusCode).toBe(303)
    const html = await page(ed)
    expect(html).toContain('Add the address of your privacy notice')
    expect(html).toContain('Add a phone number or an email address')
    expect(html).toContain('Say what happens next')
    const refused = await ed.post('/admin/forms/carers-referral/build/publish', { seen: seenIn(html) })
    expect(refused.statusCode).toBe(422)
    expect(readFileSync(file, 'utf8')).toContain('privacy_notice: https://www.example-carers.org.uk/privacy')
    const fixed = await ed.post('/admin/forms/carers-referral/build/settings', { seen: seenIn(html), title: 'Carers’ support', intro: 'Tell us about you.', privacy: 'https://carers.example.org/privacy', phone: '', email: 'help@carers.example.org', next: 'We will phone you within a week.', offer_email: 'yes' })
    expect(fixed.statusCode).toBe(303)
    expect((await ed.post('/admin/forms/carers-referral/build/publish', { seen: seenIn(await page(ed)) })).statusCode).toBe(303)
    const live = await t.app.inject({ method: 'GET', url: '/forms/carers-referral' })
    expect(live.body).toContain('<a href="mailto:help@carers.example.org">help@carers.example.org</a>')
    expect(live.body).toContain('<a href="https://carers.example.org/privacy">How we use your information (privacy notice)</a>')
    expect(live.body).toContain('Carers’ support')
    const yaml = readFileSync(file, 'utf8')
    expect(yaml).toMatch(/contact:\n {2}email: help@carers.example.org\n/)
    expect(yaml).toMatch(/confirmation:\n {2}heading: Thank you, we have your referral\n/)
    expect(yaml).toContain('  body: We will phone you within a week.\n')
    expect(yaml).toContain('  email: true\n')
  })

  it('moves and deletes a group of people, never the person a Lamplight referral is about', async () => {
    const { ed } = await setUp()
    const moved = await ed.post('/admin/forms/carers-referral/build/group/move', { seen: seenIn(await page(ed)), index: '0', dir: 'down' })
    expect(moved.statusCode).toBe(303)
    let html = await page(ed)
    expect(html.indexOf('People: The people you care for')).toBeLessThan(html.indexOf('People: About you'))
    const confirm = await ed.get('/admin/forms/carers-referral/build/group/delete?index=0')
    expect(confirm.body).toContain('Delete the group “The people you care for”?')
    expect((await ed.post('/admin/forms/carers-referral/build/group/delete', { seen: seenIn(confirm.body), index: '0' })).statusCode).toBe(303)
    html = await page(ed)
    expect(html).not.toContain('People: The people you care for')
    // Lamplight: the attendee stays.
    const lamplight = await page(ed, 'professional-referral')
    const refused = await ed.post('/admin/forms/professional-referral/build/group/delete', { seen: seenIn(lamplight), index: '0' })
    expect(refused.statusCode).toBe(422)
    expect(refused.body).toContain('The person being referred cannot be taken out of a Lamplight form')
    expect((await ed.post('/admin/forms/professional-referral/build/group/delete', { seen: seenIn(lamplight), index: '1' })).statusCode).toBe(303)
    const draft = await ed.get('/admin/forms/professional-referral/build')
    expect(draft.body).not.toContain('Fix these before publishing')
  })

  it('changes a question\u2019s type, showing the new type\u2019s settings before saving', async () => {
    const { t, ed } = await setUp()
    const seen = seenIn(await page(ed))
    const shown = await ed.post('/admin/forms/carers-referral/build/question', { seen, list: 'people-0', index: '2', label: 'Email address', send: 'name', new_type: 'radios', _action: 'change-type' })
    expect(shown.statusCode).toBe(200)
    expect(shown.body).toContain('Words of answer 1')
    expect((await t.app.services.storage.drafts.get('carers-referral'))).toBeUndefined()
    const saved = await ed.post('/admin/forms/carers-referral/build/question', {
      seen, list: 'people-0', index: '2', label: 'How should we contact you?', send: 'none', new_type: 'radios', 'options[0][label]': 'By phone', 'options[1][label]': 'By letter', _action: 'save',
    })
    expect(saved.statusCode).toBe(303)
    const draft = (await t.app.services.storage.drafts.get('carers-referral'))!.text
    expect(draft).toContain('name: email')
    expect(draft).toMatch(/label: How should we contact you\?, type: radios, autocomplete: email, to: false, options:/)
  })

  it('a Charitylog group: its client type, referral role and relationship to another group', async () => {
    const { t, ed } = await setUp()
    const groupPage = await ed.get('/admin/forms/carers-referral/build/group?index=1')
    expect(groupPage.statusCode).toBe(200)
    expect(groupPage.body).toContain('Their referral role in Charitylog</label>')
    expect(groupPage.body).toMatch(/<option value="carer" selected>About you<\/option>/)
    const missingRole = await ed.post('/admin/forms/carers-referral/build/group', { seen: seenIn(groupPage.body), index: '1', heading: 'The people you look after', min: '1', max: '6', org_type_id: '9', referral_role: '', related_to: 'carer', relationship_id: '' })
    expect(missingRole.statusCode).toBe(422)
    expect(missingRole.body).toContain('Enter their referral role as Charitylog numbers it')
    expect(missingRole.body).toContain('Enter the relationship type as Charitylog numbers it')
    const saved = await ed.post('/admin/forms/carers-referral/build/group', { seen: seenIn(groupPage.body), index: '1', heading: 'The people you look after', min: '1', max: '6', add_another: 'Add another person', org_type_id: '9', referral_role: '2', related_to: 'carer', relationship_id: '5' })
    expect(saved.statusCode).toBe(303)
    const draft = (await t.app.services.storage.drafts.get('carers-referral'))!.text
    expect(draft).toContain('heading: The people you look after')
    expect(draft).toMatch(/referral_role: 2/)
    expect(draft).toMatch(/to: carer/)
    expect(draft).toMatch(/id: 5/)
    expect(await page(ed)).not.toContain('Fix these before publishing')
  })

  it('where a Charitylog form\u2019s referrals go: source, project and the description\u2019s question', async () => {
    const { t, ed } = await setUp()
    const dest = await ed.get('/admin/forms/carers-referral/build/destination')
    expect(dest.body).toContain('value="1"')
    const bad = await ed.post('/admin/forms/carers-referral/build/destination', { seen: seenIn(dest.body), source: 'one', project: '7', reason: 'reason' })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toContain('Enter the referral source as Charitylog numbers it')
    expect((await ed.post('/admin/forms/carers-referral/build/destination', { seen: seenIn(dest.body), source: '3', project: '8', reason: 'reason' })).statusCode).toBe(303)
    expect((await t.app.services.storage.drafts.get('carers-referral'))!.text).toMatch(/destination:\n {2}type: charitylog\n {2}source: 3\n {2}project: 8\n {2}description: reason\n/)
  })

  it('previews the draft as visitors will see it', async () => {
    const { ed } = await setUp()
    await ed.post('/admin/forms/carers-referral/build/question', { seen: seenIn(await page(ed)), list: 'fields', index: '0', label: 'Tell us what you need', hint: '', required: 'yes' })
    const preview = await ed.get('/admin/forms/carers-referral/build/preview')
    expect(preview.statusCode).toBe(200)
    expect(preview.body).toContain('Tell us what you need')
    expect(preview.body).toContain('Back to the questions')
  })
})
