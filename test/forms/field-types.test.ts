/**
 * The register of field types (src/forms/fields.ts, FIELD_TYPES): one entry per type of the schema,
 * each with a template that exists, and one dispatcher that refuses a type it does not know.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkAnswer, emptyRaw, FIELD_TYPE_NAMES, FIELD_TYPES, fieldType } from '../../src/forms/fields.js'
import { fieldSchema, type Field } from '../../src/forms/schema.js'
import { texts } from '../../src/forms/texts.js'
import { VIEWS_DIR } from '../../src/paths.js'

describe('the field types', () => {
  it('has one entry for every type the schema accepts, in the spec\'s order', () => {
    const schemaTypes = fieldSchema.options.map((o) => o.shape.type.value)
    expect(FIELD_TYPE_NAMES).toEqual(schemaTypes)
  })

  it('gives every type a template in views/fields and a one-line summary for staff', () => {
    for (const [type, d] of Object.entries(FIELD_TYPES)) {
      expect(existsSync(path.join(VIEWS_DIR, 'fields', `${d.partial}.eta`)), type).toBe(true)
      expect(d.summary, type).toMatch(/^[A-Z].*\.$/)
      expect(d.partial === 'input', `${type}: a one-line input has its input attributes`).toBe(d.input !== undefined)
    }
  })

  it('refuses a field of a type it does not know, loudly, wherever it is used', () => {
    const bogus = { type: 'signature', name: 'q', label: 'Sign here' } as unknown as Field
    expect(() => fieldType(bogus)).toThrow('Unexpected field type: signature')
    expect(() => emptyRaw(bogus)).toThrow('Unexpected field type: signature')
    expect(() => checkAnswer(bogus, '', texts.en, '2026-06-15')).toThrow('Unexpected field type: signature')
    expect(() => fieldType({ ...bogus, type: 'constructor' } as unknown as Field)).toThrow('Unexpected field type: constructor')
  })
})
