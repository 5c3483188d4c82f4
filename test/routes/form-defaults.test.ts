/** A form file that leaves everything it can to the defaults: texts escaped, built-in labels and confirmation. */
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, form, FORM_HEADERS, tempDir, type TestApp } from '../helpers/app.js'
import { byId, ownHiddenInputs, title } from '../helpers/html-fragments.js'

describe('a form that leaves things to the defaults', () => {
  const yaml = `id: plain
title: Help & advice <today>
intro: |
  First <b>para</b>.

  Second para.
destination: { type: charitylog }
people:
  - key: client
    heading: You
    max: 2
    charitylog: { org_type_id: 1 }
    fields:
      - { name: first_name, label: First name, type: text, required: true, hint: As on your letters }
`
  let plain: TestApp
  let dir: string
  beforeEach(async () => {
    dir = tempDir('rf-forms-')
    writeFileSync(path.join(dir, 'plain.yaml'), yaml)
    plain = await buildTestApp({ formsDir: dir })
  })
  afterEach(async () => {
    await plain.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows title and intro as text, never as HTML, and the hint under the label', async () => {
    const { body } = await plain.app.inject({ method: 'GET', url: '/forms/plain' })
    expect(title(body)).toBe('Help &amp; advice &lt;today&gt;')
    expect(body).toContain('<h1 class="heading-l">Help &amp; advice &lt;today&gt;</h1>')
    expect(body).toMatch(/<p class="body">First &lt;b&gt;para&lt;\/b&gt;\.<\/p>\s*<p class="body">Second para\.<\/p>/)
    expect(body).toMatch(/<label class="label" for="f-client-0-first_name">First name<\/label>\s*<div id="f-client-0-first_name-hint" class="hint">As on your letters<\/div>/)
    expect(byId(body, 'f-client-0-first_name')['aria-describedby']).toBe('f-client-0-first_name-hint')
  })

  it('labels the add button "Add another person" when the group does not say', async () => {
    const { body } = await plain.app.inject({ method: 'GET', url: '/forms/plain' })
    expect(body).toContain('value="add:client" formaction="/forms/plain#f-client-1-_person" class="button button--secondary" data-add>Add another person</button>')
  })

  it('confirms with the default heading and body', async () => {
    const res = await plain.app.inject({ method: 'POST', url: '/forms/plain', headers: FORM_HEADERS, payload: form([...ownHiddenInputs((await plain.app.inject({ method: 'GET', url: '/forms/plain' })).body), ['client[0][first_name]', 'Jo']]) })
    expect(res.statusCode).toBe(303)
    const page = await plain.app.inject({ method: 'GET', url: String(res.headers.location) })
    expect(page.body).toContain('<h1 class="panel__title">Referral sent</h1>')
    expect(page.body).toContain('<p class="body">Thank you. We have your referral and we will be in touch.</p>')
  })
})
