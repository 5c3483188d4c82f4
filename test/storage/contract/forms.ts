/** The FormStore contract: form texts saved only over the version they were edited from, history kept, every server told. */
import { describe, expect, it } from 'vitest'
import { T0, useStorage, type OpenStorage } from './harness.js'

/** Resolves when `count()` reaches `n`, or fails after 5 s (a notification may come a moment after the commit). */
async function reaches (count: () => number, n: number) {
  for (let waited = 0; count() < n; waited += 20) {
    if (waited > 5000) throw new Error(`expected ${n} change(s), saw ${count()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function formStoreContract (name: string, open: OpenStorage) {
  describe(`FormStore (${name})`, () => {
    const storage = useStorage(open)

    it('adds a form only when none of that id exists, and lists them by id', async () => {
      const { forms } = await storage()
      expect(await forms.list()).toEqual([])
      expect(await forms.put({ id: 'b', text: 'id: b\n', hash: 'hb', base: undefined, at: T0, by: 'Ann' })).toEqual({ ok: true, versionId: undefined })
      expect(await forms.put({ id: 'a', text: 'id: a\n', hash: 'ha', base: undefined, at: T0 + 1, by: 'Bob' })).toEqual({ ok: true, versionId: undefined })
      expect(await forms.put({ id: 'a', text: 'id: a\n# mine\n', hash: 'hx', base: undefined, at: T0 + 2, by: 'Cy' })).toEqual({ ok: false })
      expect(await forms.list()).toEqual([
        { id: 'a', text: 'id: a\n', hash: 'ha', updated_at: T0 + 1, updated_by: 'Bob' },
        { id: 'b', text: 'id: b\n', hash: 'hb', updated_at: T0, updated_by: 'Ann' },
      ])
      expect(await forms.get('a')).toEqual({ id: 'a', text: 'id: a\n', hash: 'ha', updated_at: T0 + 1, updated_by: 'Bob' })
      expect(await forms.get('nothing')).toBeUndefined()
    })

    it('replaces a form only over the version it was edited from, keeping the replaced text in the history', async () => {
      const { forms, formHistory } = await storage()
      await forms.put({ id: 'a', text: 'id: a\n# one\n', hash: 'h1', base: undefined, at: T0, by: 'Ann' })
      const saved = await forms.put({ id: 'a', text: 'id: a\n# two\n', hash: 'h2', base: 'h1', at: T0 + 10, by: 'Bob' })
      expect(saved.ok).toBe(true)
      const versionId = saved.ok ? saved.versionId : undefined
      expect(versionId).toBeTypeOf('number')
      expect(await formHistory.get('a', versionId!)).toEqual({ id: versionId, form_id: 'a', text: 'id: a\n# one\n', hash: 'h1', replaced_at: T0 + 10, replaced_by: 'Bob' })

      // A second editor who started from version h1 is refused, and changes nothing.
      expect(await forms.put({ id: 'a', text: 'id: a\n# three\n', hash: 'h3', base: 'h1', at: T0 + 20, by: 'Cy' })).toEqual({ ok: false })
      expect(await forms.put({ id: 'missing', text: 'id: missing\n', hash: 'h4', base: 'h1', at: T0 + 20, by: 'Cy' })).toEqual({ ok: false })
      expect((await forms.get('a'))?.text).toBe('id: a\n# two\n')
      expect(await formHistory.list('a')).toHaveLength(1)
      expect(await forms.get('missing')).toBeUndefined()
    })

    it('lets only one of two saves over the same version win', async () => {
      const { forms } = await storage()
      await forms.put({ id: 'a', text: 'id: a\n', hash: 'h1', base: undefined, at: T0, by: 'Ann' })
      const results = await Promise.all(['x', 'y', 'z'].map((v) => forms.put({ id: 'a', text: `id: a\n# ${v}\n`, hash: `h-${v}`, base: 'h1', at: T0 + 1, by: v })))
      expect(results.filter((r) => r.ok)).toHaveLength(1)
    })

    it('tells a listener about every save, until it stops listening', async () => {
      const { forms } = await storage()
      let seen = 0
      const stop = await forms.onChange(() => { seen++ })
      await forms.put({ id: 'a', text: 'id: a\n', hash: 'h1', base: undefined, at: T0, by: 'Ann' })
      await reaches(() => seen, 1)
      await forms.put({ id: 'a', text: 'id: a\n# 2\n', hash: 'h2', base: 'h1', at: T0, by: 'Ann' })
      await reaches(() => seen, 2)
      await stop()
      const before = seen
      await forms.put({ id: 'a', text: 'id: a\n# 3\n', hash: 'h3', base: 'h2', at: T0, by: 'Ann' })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(seen).toBe(before)
    })
  })
}
