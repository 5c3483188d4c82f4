/**
 * Form file validation (spec: every table of form-definition.md). Each rule is broken on purpose in an
 * otherwise valid form, and the problem must say the file, the path inside the document, the line and
 * what is wrong.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { formJsonSchema } from '../../src/forms/json-schema.js'
import { formatProblem, loadFormsDir, parseFormText, type FormProblem } from '../../src/forms/load.js'
import { EXAMPLE_FORMS, FIXTURE_FORMS } from '../helpers/app.js'

type Doc = Record<string, any>

/** A valid Charitylog form; each test breaks one thing in a copy. */
function charitylogForm (): Doc {
  return {
    id: 'test-form',
    title: 'Test form',
    destination: { type: 'charitylog', source: 1, description: 'reason' },
    people: [
      {
        key: 'carer',
        heading: 'About you',
        charitylog: { referral_role: 1, org_type_id: 7 },
        fields: [
          { name: 'first_name', label: 'First name', type: 'text', required: true },
          { name: 'contact_by', label: 'Contact by', type: 'radios', options: [{ label: 'Phone', value: 'phone' }, { label: 'Post', value: 'post' }] },
          { name: 'phone', label: 'Phone', type: 'tel', show_if: { field: 'contact_by', equals: 'phone' } },
        ],
      },
      {
        key: 'cared_for',
        heading: 'The people you care for',
        max: 3,
        charitylog: { referral_role: 2, org_type_id: 9, relationship: { to: 'carer', id: 5 } },
        fields: [{ name: 'first_name', label: 'First name', type: 'text' }],
      },
    ],
    fields: [{ name: 'reason', label: 'Reason', type: 'textarea' }],
  }
}

function lamplightForm (): Doc {
  return {
    id: 'test-form',
    title: 'Test form',
    destination: { type: 'lamplight', workareaid: 22, attendee: 'client', referrer: 'referrer', reason: 'reason' },
    people: [
      { key: 'client', heading: 'Client', lamplight: { role: 'user' }, fields: [{ name: 'first_name', label: 'First name', type: 'text' }] },
      { key: 'referrer', heading: 'You', lamplight: { role: 'contact' }, fields: [{ name: 'first_name', label: 'First name', type: 'text' }] },
    ],
    fields: [{ name: 'reason', label: 'Reason', type: 'textarea' }],
  }
}

function parse (doc: Doc, file = 'test-form.yaml') {
  return parseFormText(file, stringify(doc))
}
function problems (doc: Doc, file = 'test-form.yaml'): FormProblem[] {
  const r = parse(doc, file)
  if (r.ok) throw new Error('expected the form to be refused')
  return r.problems
}
/** The one problem at `at`, which must exist. */
function problemAt (doc: Doc, at: string): FormProblem {
  const list = problems(doc)
  const p = list.find((x) => x.path === at)
  if (!p) throw new Error(`no problem at ${at}; got ${JSON.stringify(list)}`)
  expect(p.file).toBe('test-form.yaml')
  expect(p.line).toBeTypeOf('number')
  return p
}

describe('valid forms', () => {
  it('accepts the base Charitylog and Lamplight forms of these tests', () => {
    expect(parse(charitylogForm()).ok).toBe(true)
    expect(parse(lamplightForm()).ok).toBe(true)
  })

  it('accepts both example forms and both test fixtures, with nothing broken', async () => {
    for (const dir of [EXAMPLE_FORMS, FIXTURE_FORMS]) {
      const { forms, broken } = await loadFormsDir(dir)
      expect([...broken.keys()]).toEqual([])
      expect(forms.size).toBe(2)
    }
  })

  it('accepts the same field name in different lists (a person’s first_name and a top-level first_name)', () => {
    const doc = charitylogForm()
    doc.fields.push({ name: 'first_name', label: 'Your first name', type: 'text' })
    expect(parse(doc).ok).toBe(true)
  })

  it('refuses a Lamplight form without its attendee group', () => {
    const doc = lamplightForm()
    doc.people = []
    expect(problemAt(doc, 'destination.attendee').message).toBe('there is no people group with key "client"')
  })
})

describe('top level', () => {
  it('refuses an unknown key, so a typo cannot silently change a form', () => {
    const doc = charitylogForm()
    doc.tittle = 'Oops'
    expect(problemAt(doc, '').message).toBe('unknown key "tittle": check the spelling (unknown keys are not allowed)')
  })

  it('requires id, title and destination', () => {
    for (const key of ['id', 'title', 'destination']) {
      const doc = charitylogForm()
      delete doc[key]
      expect(problems(doc).map((p) => [p.path, p.message])).toContainEqual([key, 'is required'])
    }
  })

  it.each(['Carers', 'carers_referral', '-carers', 'a'.repeat(64), 'carers referral'])('refuses the id %j as a URL slug', (id) => {
    const doc = charitylogForm()
    doc.id = id
    expect(problemAt(doc, 'id').message).toMatch(/must be lower-case letters, digits and hyphens/)
  })

  it('requires the id to equal the file name without .yaml', () => {
    const p = problems(charitylogForm(), 'other-name.yaml')
    expect(p).toEqual([{ file: 'other-name.yaml', path: 'id', line: 1, message: 'the id "test-form" must equal the file name without .yaml ("other-name")' }])
  })

  it('allows only en or cy as the language', () => {
    const doc = charitylogForm()
    doc.language = 'fr'
    expect(problemAt(doc, 'language').message).toBe('must be one of "en", "cy"')
    doc.language = 'cy'
    expect(parse(doc).ok).toBe(true)
  })

  it('needs at least one field in people or fields', () => {
    const doc = lamplightForm()
    doc.people = [{ key: 'client', heading: 'Client', fields: [] }]
    doc.destination = { type: 'lamplight', workareaid: 22, attendee: 'client' }
    delete doc.fields
    expect(problems(doc).map((p) => p.path)).toContain('people[0].fields')
    const empty = { id: 'test-form', title: 'T', destination: { type: 'lamplight', workareaid: 1, attendee: 'client' } }
    expect(problems(empty).map((p) => p.message)).toContain('a form needs at least one field in people or fields')
  })

  it('checks confirmation and embed, refusing unknown keys and origins with a path', () => {
    const doc = charitylogForm()
    doc.confirmation = { heading: 'Thanks', body: 'Soon', footer: 'x' }
    expect(problemAt(doc, 'confirmation').message).toMatch(/unknown key "footer"/)
    const framed = charitylogForm()
    framed.embed = { allowed_origins: ['https://www.example.org.uk', 'http://localhost:8080', 'https://www.example.org.uk/page'] }
    expect(problemAt(framed, 'embed.allowed_origins[2]').message).toMatch(/must be an origin/)
    framed.embed.allowed_origins.pop()
    expect(parse(framed).ok).toBe(true)
  })
})

describe('fields', () => {
  it('refuses an unknown key in a field', () => {
    const doc = charitylogForm()
    doc.people[0].fields[0].requried = true
    expect(problemAt(doc, 'people[0].fields[0]').message).toMatch(/^unknown key "requried"/)
  })

  it.each(['First_name', '1st', '_name', 'first-name', 'a'.repeat(65)])('refuses the field name %j', (name) => {
    const doc = charitylogForm()
    doc.fields[0].name = name
    doc.destination.description = undefined
    delete doc.destination.description
    expect(problemAt(doc, 'fields[0].name').message).toMatch(/must start with a lower-case letter/)
  })

  it('requires names to be unique within their list', () => {
    const doc = charitylogForm()
    doc.people[0].fields.push({ name: 'first_name', label: 'Again', type: 'text' })
    expect(problemAt(doc, 'people[0].fields[3].name').message).toBe('the name "first_name" is already used by another field in this list')
  })

  it('requires name, label and a known type', () => {
    const doc = charitylogForm()
    doc.fields.push({ name: 'x', type: 'text' }, { name: 'y', label: 'Y', type: 'colour' })
    expect(problemAt(doc, 'fields[1].label').message).toBe('is required')
    expect(problemAt(doc, 'fields[2].type').message).toMatch(/^type must be one of text, textarea, email/)
  })

  it('allows keys only on the types they belong to (options, min/max, past/future, value)', () => {
    const cases: Array<[Doc, string]> = [
      [{ name: 'a', label: 'A', type: 'text', options: [{ label: 'X', value: 'x' }] }, 'options'],
      [{ name: 'a', label: 'A', type: 'text', min: 1 }, 'min'],
      [{ name: 'a', label: 'A', type: 'number', past: true }, 'past'],
      [{ name: 'a', label: 'A', type: 'text', value: 'fixed' }, 'value'],
      [{ name: 'a', label: 'A', type: 'checkbox', max_length: 5 }, 'max_length'],
    ]
    for (const [field, key] of cases) {
      const doc = charitylogForm()
      doc.fields.push(field)
      expect(problemAt(doc, 'fields[1]').message).toMatch(new RegExp(`^unknown key "${key}"`))
    }
  })

  it('requires options for select, radios and checkboxes, each with a label and a non-empty string value, no value twice', () => {
    for (const type of ['select', 'radios', 'checkboxes']) {
      const doc = charitylogForm()
      doc.fields.push({ name: 'a', label: 'A', type })
      expect(problemAt(doc, 'fields[1].options').message).toBe('is required')
    }
    const doc = charitylogForm()
    doc.fields.push({ name: 'a', label: 'A', type: 'select', options: [{ label: 'X', value: 35 }, { label: 'Y', value: '' }] })
    expect(problemAt(doc, 'fields[1].options[0].value').message).toBe('should be a string')
    expect(problemAt(doc, 'fields[1].options[1].value').message).toBe('must not be empty')
    const twice = charitylogForm()
    twice.fields.push({ name: 'a', label: 'A', type: 'radios', options: [{ label: 'X', value: '1' }, { label: 'Y', value: '1' }] })
    expect(problemAt(twice, 'fields[1].options[1].value').message).toBe('the value "1" is used by two options')
  })

  it('requires a value on a hidden field', () => {
    const doc = charitylogForm()
    doc.fields.push({ name: 'a', label: 'A', type: 'hidden' })
    expect(problemAt(doc, 'fields[1].value').message).toBe('is required')
  })

  it('checks the types of required and max_length', () => {
    const doc = charitylogForm()
    doc.fields.push(
      { name: 'a', label: 'A', type: 'text', required: 'yes' },
      { name: 'b', label: 'B', type: 'text', max_length: 2.5 }
    )
    expect(problemAt(doc, 'fields[1].required').message).toBe('should be a boolean')
    expect(problemAt(doc, 'fields[2].max_length').message).toBe('should be a whole number')
  })

  it('refuses number min greater than max, and a date both past and future', () => {
    const doc = charitylogForm()
    doc.fields.push({ name: 'c', label: 'C', type: 'number', min: 10, max: 1 }, { name: 'd', label: 'D', type: 'date', past: true, future: true })
    expect(problemAt(doc, 'fields[1].min').message).toBe('min is greater than max')
    expect(problemAt(doc, 'fields[2].future').message).toBe('a date cannot be both past and future')
  })

  it('accepts to as a string or false, nothing else', () => {
    const doc = charitylogForm()
    doc.fields.push({ name: 'a', label: 'A', type: 'checkbox', to: false }, { name: 'b', label: 'B', type: 'text', to: 'tel1' })
    expect(parse(doc).ok).toBe(true)
    doc.fields.push({ name: 'c', label: 'C', type: 'text', to: true })
    expect(problems(doc).map((p) => p.path)).toContain('fields[3].to')
  })
})

describe('show_if', () => {
  it('accepts {field, equals} and {field, in: [...]} naming a field of the same list', () => {
    const doc = charitylogForm()
    doc.people[0].fields[2].show_if = { field: 'contact_by', in: ['phone', 'post'] }
    expect(parse(doc).ok).toBe(true)
  })

  it('requires the field it names to exist in the same list', () => {
    const doc = charitylogForm()
    doc.people[0].fields[2].show_if = { field: 'reason', equals: 'x' }
    expect(problemAt(doc, 'people[0].fields[2].show_if.field').message).toBe('there is no field named "reason" in the same list')
  })

  it('refuses a field that depends on itself', () => {
    const doc = charitylogForm()
    doc.people[0].fields[2].show_if = { field: 'phone', equals: 'x' }
    expect(problemAt(doc, 'people[0].fields[2].show_if.field').message).toBe('a field cannot depend on itself')
  })

  it('refuses any other shape', () => {
    const doc = charitylogForm()
    doc.people[0].fields[2].show_if = { field: 'contact_by', is: 'phone' }
    expect(problemAt(doc, 'people[0].fields[2].show_if').message).toMatch(/\{field, equals\} or \{field, in: \[\.\.\.\]\}/)
  })
})

describe('people groups', () => {
  it('requires key and heading, a key matching the name pattern, unique keys', () => {
    const doc = charitylogForm()
    doc.people[1].key = 'Cared-for'
    delete doc.people[1].charitylog.relationship
    delete doc.people[0].heading
    expect(problemAt(doc, 'people[1].key').message).toMatch(/must start with a lower-case letter/)
    expect(problemAt(doc, 'people[0].heading').message).toBe('is required')
    const twice = charitylogForm()
    twice.people[1].key = 'carer'
    delete twice.people[1].charitylog.relationship
    expect(problemAt(twice, 'people[1].key').message).toBe('the key "carer" is already used by another group')
  })

  it('refuses an unknown key in a group and min greater than max', () => {
    const doc = charitylogForm()
    doc.people[1].maximum = 3
    expect(problemAt(doc, 'people[1]').message).toMatch(/^unknown key "maximum"/)
    const minMax = charitylogForm()
    minMax.people[1].min = 4
    expect(problemAt(minMax, 'people[1].min').message).toBe('min (4) is greater than max (3)')
    const defaultMax = charitylogForm()
    defaultMax.people[0].min = 2
    expect(problemAt(defaultMax, 'people[0].min').message).toBe('min (2) is greater than max (1)')
  })

  it('refuses a lamplight role other than user or contact', () => {
    const doc = lamplightForm()
    doc.people[0].lamplight.role = 'client'
    expect(problemAt(doc, 'people[0].lamplight.role').message).toBe('must be one of "user", "contact"')
  })
})

describe('Charitylog destination', () => {
  it('needs at least one people group', () => {
    const doc = charitylogForm()
    doc.people = []
    delete doc.destination.source
    expect(problemAt(doc, 'people').message).toBe('a Charitylog form needs at least one people group')
  })

  it('needs charitylog settings with an integer org_type_id on every group', () => {
    const doc = charitylogForm()
    delete doc.people[1].charitylog
    expect(problemAt(doc, 'people[1]').message).toMatch(/needs charitylog: \{ org_type_id: \.\.\. \}/)
    const noOrg = charitylogForm()
    delete noOrg.people[0].charitylog.org_type_id
    expect(problemAt(noOrg, 'people[0].charitylog.org_type_id').message).toBe('is required')
    const text = charitylogForm()
    text.people[0].charitylog.org_type_id = '7'
    expect(problemAt(text, 'people[0].charitylog.org_type_id').message).toBe('should be a number')
  })

  it('with a source, needs a referral_role on every group', () => {
    const doc = charitylogForm()
    delete doc.people[1].charitylog.referral_role
    expect(problemAt(doc, 'people[1].charitylog').message).toMatch(/destination.source is set, so every group needs a referral_role/)
    delete doc.destination.source
    expect(parse(doc).ok).toBe(true)
  })

  it('needs description to name a top-level field', () => {
    const doc = charitylogForm()
    doc.destination.description = 'first_name'
    expect(problemAt(doc, 'destination.description').message).toBe('there is no top-level field named "first_name"')
  })

  it('needs a relationship to name another existing group', () => {
    const doc = charitylogForm()
    doc.people[1].charitylog.relationship.to = 'parent'
    expect(problemAt(doc, 'people[1].charitylog.relationship.to').message).toBe('there is no people group with key "parent"')
    const self = charitylogForm()
    self.people[1].charitylog.relationship.to = 'cared_for'
    expect(problemAt(self, 'people[1].charitylog.relationship.to').message).toBe('a group cannot relate to itself')
  })

  it('refuses Lamplight settings and Lamplight destination keys', () => {
    const doc = charitylogForm()
    doc.people[0].lamplight = { role: 'user' }
    expect(problemAt(doc, 'people[0].lamplight').message).toBe('this form goes to Charitylog; remove the lamplight settings')
    const keys = charitylogForm()
    keys.destination.workareaid = 22
    expect(problemAt(keys, 'destination').message).toMatch(/^unknown key "workareaid"/)
  })

  it('refuses an unknown destination type', () => {
    const doc = charitylogForm()
    doc.destination.type = 'salesforce'
    expect(problemAt(doc, 'destination.type').message).toBe('type must be charitylog or lamplight')
  })
})

describe('Lamplight destination', () => {
  it('requires an integer workareaid and an attendee', () => {
    const doc = lamplightForm()
    doc.destination.workareaid = 'twenty-two'
    delete doc.destination.attendee
    expect(problemAt(doc, 'destination.workareaid').message).toBe('should be a number')
    expect(problemAt(doc, 'destination.attendee').message).toBe('is required')
  })

  it('needs attendee and referrer to name existing, different groups', () => {
    const doc = lamplightForm()
    doc.destination.referrer = 'worker'
    expect(problemAt(doc, 'destination.referrer').message).toBe('there is no people group with key "worker"')
    const same = lamplightForm()
    same.destination.referrer = 'client'
    same.people.pop()
    expect(problemAt(same, 'destination.referrer').message).toBe('the referrer group must differ from the attendee group')
  })

  it('accepts a form without a referrer group (the attendee referred themselves)', () => {
    const doc = lamplightForm()
    delete doc.destination.referrer
    doc.people.pop()
    expect(parse(doc).ok).toBe(true)
  })

  it('needs the attendee and referrer groups to have exactly one person', () => {
    const doc = lamplightForm()
    doc.people[0].max = 2
    expect(problemAt(doc, 'people[0]').message).toBe('the attendee group must have exactly one person (min 1, max 1)')
    const none = lamplightForm()
    none.people[1].min = 0
    expect(problemAt(none, 'people[1]').message).toBe('the referrer group must have exactly one person (min 1, max 1)')
  })

  it('refuses a group that is neither attendee nor referrer, since it would never be sent', () => {
    const doc = lamplightForm()
    doc.people.push({ key: 'sibling', heading: 'Sibling', fields: [{ name: 'first_name', label: 'First name', type: 'text' }] })
    expect(problemAt(doc, 'people[2].key').message).toMatch(/sends only the attendee and referrer groups/)
  })

  it('needs reason to name a top-level field', () => {
    const doc = lamplightForm()
    doc.destination.reason = 'why'
    expect(problemAt(doc, 'destination.reason').message).toBe('there is no top-level field named "why"')
  })

  it('refuses Charitylog settings on a group', () => {
    const doc = lamplightForm()
    doc.people[0].charitylog = { org_type_id: 7 }
    expect(problemAt(doc, 'people[0].charitylog').message).toBe('this form goes to Lamplight; remove the charitylog settings')
  })
})

describe('where a problem is', () => {
  const text = [
    'id: test-form', //                                          1
    'title: Test form', //                                       2
    'destination: { type: lamplight, workareaid: 22, attendee: client }', // 3
    'people:', //                                                4
    '  - key: client', //                                        5
    '    heading: Client', //                                    6
    '    fields:', //                                            7
    '      - { name: first_name, label: First name, type: text }', // 8
    '      - name: colour', //                                   9
    '        label: Favourite colour', //                        10
    '        type: select', //                                   11
    '        optoins:', //                                       12
    '          - { label: Red, value: red }', //                 13
    '      - { name: age, label: Age, type: number, min: x }', // 14
    '',
  ].join('\n')

  it('gives the file, the path, the line of the offending key and a plain-English message', () => {
    const r = parseFormText('test-form.yaml', text)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems).toContainEqual({
      file: 'test-form.yaml',
      path: 'people[0].fields[1]',
      line: 12,
      message: 'unknown key "optoins": check the spelling (unknown keys are not allowed)',
    })
    expect(r.problems).toContainEqual({ file: 'test-form.yaml', path: 'people[0].fields[1].options', line: 9, message: 'is required' })
    expect(r.problems).toContainEqual({ file: 'test-form.yaml', path: 'people[0].fields[2].min', line: 14, message: 'should be a number' })
  })

  it('formats a problem as file, line, path: message', () => {
    const r = parseFormText('test-form.yaml', text)
    if (r.ok) throw new Error('expected problems')
    expect(r.problems.map(formatProblem)).toContain('test-form.yaml, line 12, people[0].fields[1]: unknown key "optoins": check the spelling (unknown keys are not allowed)')
  })

  it('reports YAML that cannot be read with its line', () => {
    const r = parseFormText('test-form.yaml', 'id: test-form\ntitle: Test\nfields:\n  - { name: a, label: A, type: text\n')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems[0]).toMatchObject({ file: 'test-form.yaml', path: '' })
    expect(r.problems[0]?.message).toMatch(/^the YAML cannot be read: /)
    expect(r.problems[0]?.line).toBeGreaterThanOrEqual(4)
  })

  it('refuses a key written twice in the same map, with the line of the second', () => {
    const r = parseFormText('test-form.yaml', 'id: test-form\ntitle: Test\ntitle: Again\n')
    if (r.ok) throw new Error('expected problems')
    expect(r.problems).toEqual([{ file: 'test-form.yaml', path: '', line: 3, message: 'the YAML cannot be read: Map keys must be unique' }])
  })

  it('refuses a file that is not a map at all', () => {
    const r = parseFormText('test-form.yaml', '- just\n- a list\n')
    if (r.ok) throw new Error('expected problems')
    expect(r.problems[0]).toMatchObject({ file: 'test-form.yaml', path: '', line: 1 })
  })
})

describe('JSON Schema for editors', () => {
  it('examples/forms/form.schema.json is what formJsonSchema() generates (run npm run forms:schema if not)', () => {
    expect(readFileSync(path.join(EXAMPLE_FORMS, 'form.schema.json'), 'utf8')).toBe(formJsonSchema())
  })

  it('lists every field type and refuses unknown keys', () => {
    const schema = JSON.parse(formJsonSchema()) as { additionalProperties?: unknown, definitions?: Record<string, unknown> }
    const text = JSON.stringify(schema)
    for (const type of ['text', 'textarea', 'email', 'tel', 'postcode', 'number', 'date', 'select', 'radios', 'checkboxes', 'checkbox', 'hidden']) {
      expect(text).toContain(`"const":"${type}"`)
    }
    expect(schema.additionalProperties).toBe(false)
  })
})
