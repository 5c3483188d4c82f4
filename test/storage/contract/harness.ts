/**
 * What every storage contract suite shares: how an implementation is opened for one test, and a
 * submission to store. An implementation's test file calls each suite with its own `open`.
 */
import { afterEach } from 'vitest'
import type { NewSubmission, Storage } from '../../../src/storage/index.js'

/** Opens a new, empty storage; `close` ends it and removes what it made. */
export type OpenStorage = () => Promise<{ storage: Storage, close: () => Promise<void> }>

/** Opens storage for one test; everything opened is closed after each test. */
export function useStorage (open: OpenStorage): () => Promise<Storage> {
  const opened: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of opened.splice(0)) await close()
  })
  return async () => {
    const { storage, close } = await open()
    opened.push(close)
    return storage
  }
}

export const T0 = Date.parse('2026-06-15T09:00:00Z')

export function submission (name = 'Ann', overrides: Partial<NewSubmission> = {}): NewSubmission {
  return {
    formId: 'carers-referral',
    formHash: 'abc123',
    destination: 'charitylog',
    payload: { destination: 'charitylog', people: [{ first_name: name, surname: 'Example', org_type_id: 7 }] },
    answers: [{ heading: 'About you', items: [{ label: 'First name', answer: name }] }],
    ...overrides,
  }
}

export const lamplightSubmission = (name = 'Siân'): NewSubmission => submission(name, {
  formId: 'professional-referral',
  destination: 'lamplight',
  payload: { destination: 'lamplight', attendee: { role: 'user', fields: { first_name: name } }, referral: { workareaid: 3 } },
})
