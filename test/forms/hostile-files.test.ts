/**
 * Form files no one should write, which must still never stop the server (issue 17, point 4): an
 * alias bomb, nesting thousands deep, a file too large to read. Each is reported with its limit and
 * skipped; the good forms beside them serve. The same texts in the staff editor are problems of the
 * text, never a 500 (the parser is the same: parseFormText).
 */
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_FORM_BYTES, MAX_NESTING, parseFormText } from '../../src/forms/load.js'
import { buildTestApp, EXAMPLE_FORMS, tempDir, type TestApp } from '../helpers/app.js'
import { ALIAS_BOMB } from '../helpers/hostile.js'

const HOSTILE: Record<string, string> = {
  'alias-bomb.yaml': ALIAS_BOMB,
  'deep-flow.yaml': '['.repeat(5000),
  'deeper-flow.yaml': '['.repeat(50_000),
  'deep-block.yaml': Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'),
  'huge.yaml': `id: huge\ntitle: Huge\n# ${'x'.repeat(MAX_FORM_BYTES)}\n`,
}

const dirs: string[] = []
const apps: TestApp[] = []
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('hostile form files at start', () => {
  it('reports each with its limit, skips it, and serves the good forms', async () => {
    const dir = tempDir('rf-forms-')
    dirs.push(dir)
    copyFileSync(path.join(EXAMPLE_FORMS, 'carers-referral.yaml'), path.join(dir, 'carers-referral.yaml'))
    for (const [name, text] of Object.entries(HOSTILE)) writeFileSync(path.join(dir, name), text)
    const t = await buildTestApp({ formsDir: dir })
    apps.push(t)
    expect((await t.app.inject('/forms/carers-referral')).statusCode).toBe(200)
    const broken = Object.fromEntries([...t.app.services.forms.broken()].map(([file, problems]) => [file, problems.map((p) => p.message)]))
    expect(broken).toEqual({
      'alias-bomb.yaml': ['too many aliases: the document expands too much (more than 100 uses of an anchor)'],
      'deep-flow.yaml': [`the file nests more than ${MAX_NESTING} levels deep: a form file never needs that many`],
      'deeper-flow.yaml': [`the file nests more than ${MAX_NESTING} levels deep: a form file never needs that many`],
      'deep-block.yaml': [`the file nests more than ${MAX_NESTING} levels deep: a form file never needs that many`],
      'huge.yaml': [`the file is ${Math.ceil(Buffer.byteLength(HOSTILE['huge.yaml']!) / 1024)} KB: a form file may be at most 256 KB`],
    })
    expect(t.logs.join('')).toContain('Form file not loaded: alias-bomb.yaml: too many aliases')
    expect((await t.app.inject('/healthz')).statusCode).toBe(200)
  })
})

describe('parseFormText', () => {
  it('turns every hostile text into a problem of the text, never an exception', () => {
    for (const [name, text] of Object.entries(HOSTILE)) {
      const result = parseFormText(name, text)
      expect(result.ok, name).toBe(false)
    }
  })

  it('still reads a form with a few anchors and aliases, as YAML allows', () => {
    const text = [
      'id: anchors', 'title: Anchors', 'destination: { type: charitylog }', 'people:',
      '  - key: carer', '    heading: You', '    charitylog: { org_type_id: 1 }',
      '    fields: &same [{ name: first_name, label: First name, type: text }]',
      '  - key: other', '    heading: Them', '    charitylog: { org_type_id: 2 }', '    fields: *same', '',
    ].join('\n')
    expect(parseFormText('anchors.yaml', text).ok).toBe(true)
  })
})

describe('the YAML slips staff make most', () => {
  it('says what to do about a colon in a text and a Tab, once per line', () => {
    const colon = parseFormText('x.yaml', 'id: x\nhint: a: b: c\n')
    expect(colon.ok || colon.problems).toEqual([{
      file: 'x.yaml',
      path: '',
      line: 2,
      message: 'the YAML cannot be read: Nested mappings are not allowed in compact mappings (often a colon and a space inside a text: put the whole text in quotes, like label: "Best time: morning or evening")',
    }])
    const tab = parseFormText('x.yaml', 'id: x\nfields:\n\t- a\n')
    expect(tab.ok || tab.problems.map((p) => p.message)).toEqual(['the YAML cannot be read: Tabs are not allowed as indentation (indent with spaces, not the Tab key)'])
  })
})
