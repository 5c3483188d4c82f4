/** Form texts in SQLite (table `forms`): the FormStore contract, with the replaced text kept in `form_versions`. */
import { EventEmitter } from 'node:events'
import type { FormStore, StoredForm } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteForms ({ db }: SqliteConnections): FormStore {
  const list = db.prepare('SELECT id, text, hash, updated_at, updated_by FROM forms ORDER BY id')
  const one = db.prepare('SELECT id, text, hash, updated_at, updated_by FROM forms WHERE id = ?')
  const insert = db.prepare('INSERT INTO forms (id, text, hash, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
  const update = db.prepare('UPDATE forms SET text = ?, hash = ?, updated_at = ?, updated_by = ? WHERE id = ? AND hash = ?')
  const keep = db.prepare('INSERT INTO form_versions (form_id, text, hash, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?)')
  // One server per SQLite file: telling this process is telling every server.
  const changes = new EventEmitter()
  const put = db.transaction((f: Parameters<FormStore['put']>[0]) => {
    if (f.base === undefined) return insert.run(f.id, f.text, f.hash, f.at, f.by).changes === 1 ? { ok: true as const, versionId: undefined } : { ok: false as const }
    const current = one.get(f.id) as StoredForm | undefined
    if (current?.hash !== f.base) return { ok: false as const }
    const versionId = Number(keep.run(f.id, current.text, current.hash, f.at, f.by).lastInsertRowid)
    update.run(f.text, f.hash, f.at, f.by, f.id, f.base)
    return { ok: true as const, versionId }
  })
  return {
    async list () {
      return list.all() as StoredForm[]
    },
    async get (id) {
      return one.get(id) as StoredForm | undefined
    },
    async put (f) {
      const result = put(f)
      if (result.ok) changes.emit('change')
      return result
    },
    async onChange (callback) {
      changes.on('change', callback)
      return async () => { changes.off('change', callback) }
    },
  }
}
