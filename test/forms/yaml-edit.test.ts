/** The form builder's changes to a form file keep what a person wrote: comments, key order, style. */
import { describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { addItem, deleteItem, editText, EditError, moveItem, setKeys } from '../../src/forms/yaml-edit.js'

const TEXT = `# The carers' form: edited by hand and by the builder.
id: carers
title: Carers # the title visitors see
people:
  - key: carer
    heading: About you
    fields:
      # Their name first
      - { name: first_name, label: First name, type: text, required: true }
      - name: phone # keep this comment
        label: Phone
        type: tel
fields:
  # What they need
  - { name: reason, label: How can we help?, type: textarea }
  - { name: consent, label: I agree, type: checkbox, to: false }
`

describe('editing a form file YAML', () => {
  it('moves a question, and its comments go with it', () => {
    const out = editText(TEXT, (doc) => { expect(moveItem(doc, ['people', 0, 'fields'], 1, -1)).toBe(true) })
    expect(out).toContain('# The carers\' form: edited by hand and by the builder.')
    expect(out).toContain('title: Carers # the title visitors see')
    const phone = out.indexOf('- name: phone # keep this comment')
    const first = out.indexOf('# Their name first')
    expect(phone).toBeGreaterThan(-1)
    expect(first).toBeGreaterThan(phone)
    expect(out.indexOf('{ name: first_name, label: First name, type: text, required: true }')).toBeGreaterThan(first)
    expect(parseDocument(out).toJS().people[0].fields.map((f: { name: string }) => f.name)).toEqual(['phone', 'first_name'])
  })

  it('will not move the first up nor the last down', () => {
    editText(TEXT, (doc) => {
      expect(moveItem(doc, ['fields'], 0, -1)).toBe(false)
      expect(moveItem(doc, ['fields'], 1, 1)).toBe(false)
      expect(moveItem(doc, ['nothing'], 0, 1)).toBe(false)
    })
  })

  it('changes the keys of a question in place, keeping the others, their order and the flow style', () => {
    const out = editText(TEXT, (doc) => setKeys(doc, ['fields', 0], { label: 'What do you need?', hint: 'A few words', type: 'textarea' }))
    expect(out).toContain('  # What they need\n  - { name: reason, label: What do you need?, type: textarea, hint: A few words }')
    const removed = editText(TEXT, (doc) => setKeys(doc, ['fields', 1], { to: undefined }))
    expect(removed).toContain('- { name: consent, label: I agree, type: checkbox }')
  })

  it('leaves a value that does not change as it was, comment and all', () => {
    const out = editText(TEXT, (doc) => setKeys(doc, ['people', 0, 'fields', 1], { name: 'phone', label: 'Phone number' }))
    expect(out).toContain('- name: phone # keep this comment\n        label: Phone number\n')
  })

  it('adds and deletes questions, making the list when there is none', () => {
    const out = editText(TEXT, (doc) => {
      expect(addItem(doc, ['fields'], { name: 'social_worker', label: 'Do they have a social worker?', type: 'radios', options: [{ label: 'Yes', value: 'yes' }, { label: 'No', value: 'no' }] }, 1)).toBe(1)
      expect(deleteItem(doc, ['fields'], 2)).toBe(true) // consent
    })
    const js = parseDocument(out).toJS()
    expect(js.fields.map((f: { name: string }) => f.name)).toEqual(['reason', 'social_worker'])
    expect(out).toContain('# What they need')
    const fresh = editText('id: x\ntitle: X\n', (doc) => { addItem(doc, ['fields'], { name: 'a', label: 'A', type: 'text' }) })
    expect(parseDocument(fresh).toJS().fields).toEqual([{ name: 'a', label: 'A', type: 'text' }])
  })

  it('refuses a text that is not YAML it can change, saying so', () => {
    expect(() => editText('id: [unclosed\n', () => {})).toThrow(EditError)
    expect(() => editText('- just\n- a list\n', () => {})).toThrow(/not a map/)
    expect(() => editText(TEXT, (doc) => setKeys(doc, ['title'], { x: 1 }))).toThrow(/title is not a map/)
  })
})
