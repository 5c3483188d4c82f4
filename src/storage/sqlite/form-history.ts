/** The replaced texts of form files in SQLite (table `form_versions`). */
import type { FormHistoryStore, FormVersion } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteFormHistory ({ db }: SqliteConnections): FormHistoryStore {
  const insert = db.prepare('INSERT INTO form_versions (form_id, text, hash, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?)')
  const remove = db.prepare('DELETE FROM form_versions WHERE id = ?')
  const list = db.prepare('SELECT id, form_id, hash, replaced_at, replaced_by FROM form_versions WHERE form_id = ? ORDER BY id DESC')
  const one = db.prepare('SELECT id, form_id, hash, replaced_at, replaced_by, text FROM form_versions WHERE form_id = ? AND id = ?')
  return {
    async add (v) {
      return Number(insert.run(v.formId, v.text, v.hash, v.replacedAt, v.replacedBy).lastInsertRowid)
    },
    async remove (versionId) {
      remove.run(versionId)
    },
    async list (formId) {
      return list.all(formId) as FormVersion[]
    },
    async get (formId, versionId) {
      return one.get(formId, versionId) as (FormVersion & { text: string }) | undefined
    },
  }
}
