/**
 * Every field type's built-in rules (spec: Fields, "Built-in behaviour per type"), through the one
 * dispatcher `checkAnswer`. Fields are parsed by the real schema, so each fixture is a valid form field.
 */
import { describe, expect, it } from 'vitest'
import { checkAnswer, type RawValue } from '../../src/forms/fields.js'
import { fieldSchema } from '../../src/forms/schema.js'
import { texts } from '../../src/forms/texts.js'

const TODAY = '2026-06-15'
const t = texts.en

function check (def: Record<string, unknown>, raw: RawValue, today = TODAY) {
  return checkAnswer(fieldSchema.parse({ name: 'q', label: 'Your answer', ...def }), raw, t, today)
}
const value = (def: Record<string, unknown>, raw: RawValue) => {
  const r = check(def, raw)
  if (!r.ok) throw new Error(`expected ok, got: ${r.message}`)
  return r.answer
}
const message = (def: Record<string, unknown>, raw: RawValue) => {
  const r = check(def, raw)
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.answer)}`)
  return r.message
}
const date = (day: string, month: string, year: string) => ({ day, month, year })

describe('text and textarea', () => {
  it('trims the answer', () => {
    expect(value({ type: 'text' }, '  Alice  ')).toEqual({ value: 'Alice', display: 'Alice' })
  })

  it('treats an empty or blank answer to an optional question as absent', () => {
    expect(check({ type: 'text' }, '')).toEqual({ ok: true, answer: undefined })
    expect(check({ type: 'textarea' }, ' \n\t ')).toEqual({ ok: true, answer: undefined })
  })

  it('asks for a required answer that is empty or only spaces', () => {
    expect(message({ type: 'text', required: true }, '   ')).toBe('Enter your answer')
  })

  it('refuses a one-line answer over 200 characters by default, instead of cutting it short', () => {
    expect(value({ type: 'text' }, 'a'.repeat(200))?.value).toHaveLength(200)
    expect(message({ type: 'text' }, 'a'.repeat(201))).toBe('Enter 200 characters or fewer')
  })

  it('refuses a textarea answer over 5000 characters by default', () => {
    expect(value({ type: 'textarea' }, 'b'.repeat(5000))?.value).toHaveLength(5000)
    expect(message({ type: 'textarea' }, 'b'.repeat(5001))).toBe('Enter 5000 characters or fewer')
  })

  it('uses the field’s own max_length, counting characters rather than bytes and after trimming', () => {
    expect(message({ type: 'text', max_length: 5 }, 'abcdef')).toBe('Enter 5 characters or fewer')
    expect(value({ type: 'text', max_length: 5 }, '  ŵŷâêî  ')?.value).toBe('ŵŷâêî')
    expect(value({ type: 'textarea', max_length: 3 }, '😀😀😀')?.value).toBe('😀😀😀')
  })

  it('applies max_length to the other one-line types too', () => {
    expect(message({ type: 'email', max_length: 10 }, 'someone@example.org')).toMatch(/Enter 10 characters or fewer/)
    expect(message({ type: 'tel' }, '0'.repeat(201))).toMatch(/Enter 200 characters or fewer/)
  })
})

describe('email', () => {
  it('accepts a valid address, trimmed', () => {
    expect(value({ type: 'email' }, ' alice.smith+care@example.org.uk ')?.value).toBe('alice.smith+care@example.org.uk')
  })

  it.each(['alice', 'alice@', '@example.org', 'alice@example', 'alice smith@example.org', 'a@b@example.org', 'alice@example.org.'])(
    'refuses %j', (input) => {
      expect(message({ type: 'email' }, input)).toBe('Enter an email address in the correct format, like name@example.com')
    })
})

describe('tel', () => {
  it.each(['01632 960 001', '+44 7700 900982', '(01632) 960001', '07700-900-982', '+1 (555) 010 9999'])('accepts %j as typed', (input) => {
    expect(value({ type: 'tel' }, `  ${input} `)?.value).toBe(input)
  })

  it.each(['phone me', '07700 900982 ext 4', '+44+7700900982', '12345', '1234567890123456'])('refuses %j', (input) => {
    expect(message({ type: 'tel' }, input)).toBe('Enter a phone number, like 01632 960 001 or +44 7700 900 982')
  })
})

describe('postcode', () => {
  it('normalises to upper case with one space', () => {
    expect(value({ type: 'postcode' }, 'hr97us')).toEqual({ value: 'HR9 7US', display: 'HR9 7US' })
    expect(value({ type: 'postcode' }, ' sw1a   2aa ')?.value).toBe('SW1A 2AA')
    expect(value({ type: 'postcode' }, 'M1 1AE')?.value).toBe('M1 1AE')
  })

  it.each(['HR9', 'HR9 7U', '12345', 'HR9 7CI', 'not a postcode'])('refuses %j', (input) => {
    expect(message({ type: 'postcode' }, input)).toBe('Enter a full UK postcode, like SW1A 2AA')
  })
})

describe('number', () => {
  const age = { type: 'number', min: 16, max: 120 }

  it('accepts whole and decimal numbers, with thousands commas, as a plain number', () => {
    expect(value(age, ' 42 ')?.value).toBe('42')
    expect(value({ type: 'number' }, '1,250.5')?.value).toBe('1250.5')
    expect(value({ type: 'number' }, '-3')?.value).toBe('-3')
  })

  it('refuses text that is not a number', () => {
    expect(message(age, '42 years')).toBe('Enter a number, like 12')
    expect(message(age, '1e3')).toBe('Enter a number, like 12')
  })

  it('checks min and max, inclusive', () => {
    expect(value(age, '16')?.value).toBe('16')
    expect(value(age, '120')?.value).toBe('120')
    expect(message(age, '15')).toBe('Enter a number of 16 or more')
    expect(message(age, '121')).toBe('Enter a number of 120 or less')
  })
})

describe('date', () => {
  it('sends YYYY-MM-DD and shows day month year', () => {
    expect(value({ type: 'date' }, date('1', '3', '2020'))).toEqual({ value: '2020-03-01', display: '1 March 2020' })
    expect(value({ type: 'date' }, date(' 09 ', '12', '1999'))).toEqual({ value: '1999-12-09', display: '9 December 1999' })
  })

  it('treats three empty parts as absent, or asks for the date when it is required', () => {
    expect(check({ type: 'date' }, date('', ' ', ''))).toEqual({ ok: true, answer: undefined })
    expect(message({ type: 'date', required: true }, date('', '', ''))).toBe('Enter your answer')
  })

  it('names the missing parts of a partial date', () => {
    expect(message({ type: 'date' }, date('1', '', '2020'))).toBe('The date must include a month')
    expect(message({ type: 'date' }, date('', '3', ''))).toBe('The date must include a day and year')
  })

  it.each([
    ['31 February', date('31', '2', '2020')],
    ['month 13', date('1', '13', '2020')],
    ['day 0', date('0', '1', '2020')],
    ['a two-digit year', date('1', '1', '20')],
    ['letters', date('one', '1', '2020')],
    ['a year before 1850', date('1', '1', '1849')],
  ])('refuses %s as not a real date', (_name, input) => {
    expect(message({ type: 'date' }, input)).toBe('Enter a real date, like 27 3 2007')
  })

  it('knows leap years: 29 February exists in 2024 and 2000, not in 2023 or 1900', () => {
    expect(value({ type: 'date' }, date('29', '2', '2024'))?.value).toBe('2024-02-29')
    expect(value({ type: 'date' }, date('29', '2', '2000'))?.value).toBe('2000-02-29')
    expect(message({ type: 'date' }, date('29', '2', '2023'))).toBe('Enter a real date, like 27 3 2007')
    expect(message({ type: 'date' }, date('29', '2', '1900'))).toBe('Enter a real date, like 27 3 2007')
  })

  it('with past, takes only dates before today (today itself is not in the past)', () => {
    expect(value({ type: 'date', past: true }, date('14', '6', '2026'))?.value).toBe('2026-06-14')
    expect(message({ type: 'date', past: true }, date('15', '6', '2026'))).toBe('The date must be in the past')
    expect(message({ type: 'date', past: true }, date('1', '1', '2030'))).toBe('The date must be in the past')
  })

  it('with future, takes only dates after today', () => {
    expect(value({ type: 'date', future: true }, date('16', '6', '2026'))?.value).toBe('2026-06-16')
    expect(message({ type: 'date', future: true }, date('15', '6', '2026'))).toBe('The date must be in the future')
  })
})

describe('select and radios', () => {
  const options = [{ label: 'Within a week', value: 'High' }, { label: 'Within a month', value: 'Normal' }]

  it.each(['select', 'radios'])('%s sends the option value and shows its label', (type) => {
    expect(value({ type, options }, 'High')).toEqual({ value: 'High', display: 'Within a week' })
  })

  it.each(['select', 'radios'])('%s refuses a value that is not one of the options', (type) => {
    expect(message({ type, options }, 'Whenever')).toBe('Select one of the options given')
    expect(message({ type, options }, 'Within a week')).toBe('Select one of the options given')
  })

  it.each(['select', 'radios'])('%s treats no choice as absent, or asks for one when required', (type) => {
    expect(check({ type, options }, '')).toEqual({ ok: true, answer: undefined })
    expect(message({ type, options, required: true }, '')).toBe('Select an option')
  })
})

describe('checkboxes', () => {
  const options = [{ label: 'Money', value: 'money' }, { label: 'Housing', value: 'housing' }, { label: 'Someone to talk to', value: 'talk' }]

  it('sends the chosen values joined by commas, in the options’ order', () => {
    expect(value({ type: 'checkboxes', options }, ['talk', 'money'])).toEqual({ value: 'money,talk', display: 'Money, Someone to talk to' })
  })

  it('treats no choice as absent, or asks for at least one when required', () => {
    expect(check({ type: 'checkboxes', options }, [])).toEqual({ ok: true, answer: undefined })
    expect(message({ type: 'checkboxes', options, required: true }, [])).toBe('Select at least one option')
  })

  it('refuses a value that is not one of the options', () => {
    expect(message({ type: 'checkboxes', options }, ['money', 'cake'])).toBe('Select one of the options given')
  })
})

describe('checkbox', () => {
  it('sends "1" when ticked, whatever the browser sent as its value', () => {
    expect(value({ type: 'checkbox' }, '1')).toEqual({ value: '1', display: 'Yes' })
    expect(value({ type: 'checkbox' }, 'on')?.value).toBe('1')
  })

  it('is absent when not ticked', () => {
    expect(check({ type: 'checkbox' }, '')).toEqual({ ok: true, answer: undefined })
  })

  it('must be ticked when required (consent)', () => {
    expect(message({ type: 'checkbox', required: true }, '')).toBe('Tick the box to go on')
  })
})

describe('hidden', () => {
  it('sends the value of the form file and ignores what the client sent', () => {
    expect(value({ type: 'hidden', value: 'web-form' }, 'tampered')).toEqual({ value: 'web-form', display: 'web-form' })
    expect(value({ type: 'hidden', value: 'web-form' }, '')?.value).toBe('web-form')
  })
})

describe('a form\'s own error messages (errors:)', () => {
  it('says the form\'s own words for each rule it gives, and the built-in ones for the others', () => {
    const errors = { required: 'Enter the name of the person you care for', format: 'Give an email address we can write to' }
    expect(message({ type: 'text', required: true, errors }, '')).toBe('Enter the name of the person you care for')
    expect(message({ type: 'email', required: true, errors }, 'nope')).toBe('Give an email address we can write to')
    expect(message({ type: 'email', max_length: 5, errors }, 'a@b.example')).toBe('Enter 5 characters or fewer')
    expect(message({ type: 'number', min: 3, errors: { too_small: 'At least 3, please' } }, '2')).toBe('At least 3, please')
    expect(message({ type: 'date', past: true, errors: { past: 'A date of birth is in the past' } }, { day: '1', month: '1', year: '2030' })).toBe('A date of birth is in the past')
  })

  it('refuses a rule it does not know, as for any unknown key', () => {
    expect(() => fieldSchema.parse({ name: 'q', label: 'Q', type: 'text', errors: { requried: 'x' } })).toThrow()
  })
})
