/** The form builder's drafts in SQLite (table `form_drafts`): the FormDraftStore contract. */
import type { FormDraft, FormDraftStore } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteDrafts ({ db }: SqliteConnections): FormDraftStore {
  const get = db.prepare('SELECT form_id, text, base, version, updated_at, updated_by FROM form_drafts WHERE form_id = ?')
  const insert = db.prepare(`INSERT INTO form_drafts (form_id, text, base, version, updated_at, updated_by) VALUES (@formId, @text, @base, 1, @at, @by)
    ON CONFLICT (form_id) DO NOTHING`)
  const update = db.prepare(`UPDATE form_drafts SET text = @text, base = @base, version = version + 1, updated_at = @at, updated_by = @by
    WHERE form_id = @formId AND version = @expected`)
  const discardAny = db.prepare('DELETE FROM form_drafts WHERE form_id = ?')
  const discardAt = db.prepare('DELETE FROM form_drafts WHERE form_id = ? AND version = ?')
  const list = db.prepare('SELECT form_id, base, version, updated_at, updated_by FROM form_drafts ORDER BY form_id')
  return {
    async get (formId) { return get.get(formId) as FormDraft | undefined },
    async save (d) {
      if (d.expected === undefined) return insert.run(d).changes === 1 ? { ok: true, version: 1 } : { ok: false }
      return update.run(d).changes === 1 ? { ok: true, version: d.expected + 1 } : { ok: false }
    },
    async discard (formId, expected) {
      return (expected === undefined ? discardAny.run(formId) : discardAt.run(formId, expected)).changes === 1
    },
    async list () { return list.all() as Array<Omit<FormDraft, 'text'>> },
  }
}
