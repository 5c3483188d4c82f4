/** The builder's question page as data: what a posted page means for the form file, and its errors in plain words. */
import { describe, expect, it } from 'vitest'
import { applyOptionAction, blankValues, checkValues, newName, readValues, showIfChoices, slug, valuesOf, withType } from '../../src/admin/question-form.js'

const siblings = [
  { name: 'has_sw', label: 'Social worker?', type: 'radios', options: [{ label: 'Yes', value: 'yes' }, { label: 'No', value: 'no' }] },
  { name: 'consent', label: 'I agree', type: 'checkbox' },
  { name: 'reason', label: 'Why?', type: 'textarea' },
]

describe('the question page', () => {
  it('reads the rows of answers in their order, and their buttons add, move and remove rows', () => {
    const v = readValues({ label: ' Q ', 'options[1][label]': 'B', 'options[0][label]': 'A', 'options[0][value]': 'a', send: 'crm', to: 'custom_1' }, 'radios')
    expect(v.options).toEqual([{ label: 'A', value: 'a' }, { label: 'B', value: '' }])
    expect(v).toMatchObject({ label: 'Q', send: 'crm', to: 'custom_1' })
    expect(applyOptionAction(v, 'add-option')!.options).toHaveLength(3)
    expect(applyOptionAction(v, 'down-option:0')!.options.map((o) => o.label)).toEqual(['B', 'A'])
    expect(applyOptionAction(v, 'up-option:0')!.options.map((o) => o.label)).toEqual(['A', 'B'])
    expect(applyOptionAction(v, 'remove-option:1')!.options.map((o) => o.label)).toEqual(['A'])
    expect(applyOptionAction(v, 'save')).toBeUndefined()
  })

  it('turns the answers into the keys of the file, removing those left empty', () => {
    const v = { ...blankValues('radios'), label: 'Social worker?', required: true, options: [{ label: 'Yes, sometimes', value: '' }, { label: 'No', value: 'n' }], showIf: 'consent=1' }
    const checked = checkValues(v, showIfChoices(siblings, undefined))
    expect(checked.ok && Object.fromEntries(Object.entries(checked.keys).filter(([, x]) => x !== undefined))).toEqual({
      type: 'radios', label: 'Social worker?', required: true, options: [{ label: 'Yes, sometimes', value: 'yes_sometimes' }, { label: 'No', value: 'n' }], show_if: { field: 'consent', equals: '1' },
    })
    // The keys of other types are removed (the type may have been changed to this one).
    expect(checked.ok && Object.keys(checked.keys).filter((k) => checked.keys[k] === undefined).sort()).toEqual(['future', 'hint', 'max', 'max_length', 'min', 'past', 'to', 'value'])
    const date = checkValues({ ...blankValues('date'), label: 'Date of birth', when: 'past', send: 'none' }, [])
    expect(date).toMatchObject({ ok: true, keys: { past: true, future: undefined, to: false, show_if: undefined } })
  })

  it('says what is wrong in plain words', () => {
    const bad = checkValues({ ...blankValues('number'), label: '', min: '10', max: '2', maxLength: 'lots', send: 'crm', to: '1bad' }, [])
    expect(bad.ok ? [] : bad.errors.map((e) => e.id)).toEqual(['label', 'to', 'max_length', 'max'])
    const options = checkValues({ ...blankValues('radios'), label: 'Q', options: [{ label: 'Yes', value: 'y' }, { label: 'Also yes', value: 'y' }, { label: '', value: 'x' }] }, [])
    expect(options.ok ? [] : options.errors.map((e) => e.message)).toEqual([
      'Answer 2 sends the same value as another answer: give it a value of its own',
      'Enter the words of answer 3',
    ])
    expect(checkValues({ ...blankValues('text'), label: 'Q', showIf: 'reason=x' }, showIfChoices(siblings, undefined))).toMatchObject({ ok: false, errors: [{ id: 'show_if' }] })
  })

  it('offers to show a question only after an answer of another choice question, never of itself', () => {
    expect(showIfChoices(siblings, 'has_sw').map((c) => c.value)).toEqual(['consent=1'])
    expect(showIfChoices(siblings, undefined).map((c) => c.text)).toEqual(['“Social worker?” is answered “Yes”', '“Social worker?” is answered “No”', '“I agree” is ticked'])
  })

  it('a question changed into a choice starts with two empty answers', () => {
    const v = withType({ ...blankValues('text'), label: 'Q' }, 'radios')
    expect(v.type).toBe('radios')
    expect(v.options).toEqual([{ label: '', value: '' }, { label: '', value: '' }])
    expect(checkValues(v, [])).toMatchObject({ ok: false, errors: [{ id: 'options-0-label', message: 'Give at least one answer to choose from' }] })
  })

  it('reads a question as the file has it, and names a new one from its words', () => {
    expect(valuesOf({ type: 'text', label: 'Phone', to: 'tel1', max_length: 20, show_if: { field: 'consent', equals: '1' } })).toMatchObject({ send: 'crm', to: 'tel1', maxLength: '20', showIf: 'consent=1' })
    expect(slug('Does the person have a social worker?')).toBe('does_the_person_have_a_social_worker')
    expect(slug('2 children')).toBe('q_2_children')
    expect(newName('Phone', new Set(['phone', 'phone_2']))).toBe('phone_3')
  })
})
