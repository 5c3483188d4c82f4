/** The FormDraftStore contract: a draft saved only over the version it was edited from, so two editors never overwrite each other. */
import { describe, expect, it } from 'vitest'
import { T0, useStorage, type OpenStorage } from './harness.js'

export function formDraftStoreContract (name: string, open: OpenStorage) {
  describe(`FormDraftStore (${name})`, () => {
    const storage = useStorage(open)

    it('starts a draft once, then saves it only over the version it was edited from', async () => {
      const { drafts } = await storage()
      expect(await drafts.get('carers')).toBeUndefined()
      expect(await drafts.save({ formId: 'carers', text: 'id: carers\n', base: 'live1', expected: undefined, at: T0, by: 'Ann' })).toEqual({ ok: true, version: 1 })
      // A second person who also began from the live form is refused: the first draft stands.
      expect(await drafts.save({ formId: 'carers', text: 'id: carers\n# Bob\n', base: 'live1', expected: undefined, at: T0 + 1, by: 'Bob' })).toEqual({ ok: false })
      expect(await drafts.save({ formId: 'carers', text: 'id: carers\n# two\n', base: 'live1', expected: 1, at: T0 + 2, by: 'Ann' })).toEqual({ ok: true, version: 2 })
      expect(await drafts.save({ formId: 'carers', text: 'id: carers\n# stale\n', base: 'live1', expected: 1, at: T0 + 3, by: 'Bob' })).toEqual({ ok: false })
      expect(await drafts.get('carers')).toEqual({ form_id: 'carers', text: 'id: carers\n# two\n', base: 'live1', version: 2, updated_at: T0 + 2, updated_by: 'Ann' })
      await drafts.save({ formId: 'new-form', text: 'id: new-form\n', base: null, expected: undefined, at: T0, by: 'Cy' })
      expect(await drafts.list()).toEqual([
        { form_id: 'carers', base: 'live1', version: 2, updated_at: T0 + 2, updated_by: 'Ann' },
        { form_id: 'new-form', base: null, version: 1, updated_at: T0, updated_by: 'Cy' },
      ])
    })

    it('discards a draft (only the version seen, when one is given); a new one starts again at version 1', async () => {
      const { drafts } = await storage()
      await drafts.save({ formId: 'a', text: 'x', base: null, expected: undefined, at: T0, by: 'Ann' })
      await drafts.save({ formId: 'a', text: 'y', base: null, expected: 1, at: T0, by: 'Ann' })
      expect(await drafts.discard('a', 1)).toBe(false)
      expect((await drafts.get('a'))?.text).toBe('y')
      expect(await drafts.discard('a', 2)).toBe(true)
      expect(await drafts.discard('a')).toBe(false)
      expect(await drafts.save({ formId: 'a', text: 'z', base: null, expected: undefined, at: T0, by: 'Bob' })).toEqual({ ok: true, version: 1 })
      expect(await drafts.discard('a')).toBe(true)
      expect(await drafts.get('a')).toBeUndefined()
    })
  })
}
