/**
 * Form texts in PostgreSQL (table `forms`): the FormStore contract. A save is one transaction: the
 * hash check (row locked), the replaced text into `form_versions`, the new text, and a NOTIFY that
 * PostgreSQL delivers to every server listening once it commits, so a form saved on one server is
 * live on all of them at once.
 */
import type { FormStore, StoredForm } from '../types.js'
import type { PostgresConnections } from './connection.js'

export const FORMS_CHANGED = 'rf_forms_changed'

export function createPostgresForms (c: PostgresConnections): FormStore {
  const columns = 'id, text, hash, updated_at, updated_by'
  return {
    async list () {
      return (await c.pool.query<StoredForm>(`SELECT ${columns} FROM forms ORDER BY id`)).rows
    },
    async get (id) {
      return (await c.pool.query<StoredForm>(`SELECT ${columns} FROM forms WHERE id = $1`, [id])).rows[0]
    },
    put (f) {
      return c.transaction(async (client) => {
        let versionId: number | undefined
        if (f.base === undefined) {
          const { rowCount } = await client.query('INSERT INTO forms (id, text, hash, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
            [f.id, f.text, f.hash, f.at, f.by])
          if (rowCount !== 1) return { ok: false as const }
        } else {
          const { rows } = await client.query<StoredForm>(`SELECT ${columns} FROM forms WHERE id = $1 FOR UPDATE`, [f.id])
          const current = rows[0]
          if (current?.hash !== f.base) return { ok: false as const }
          versionId = (await client.query<{ id: number }>('INSERT INTO form_versions (form_id, text, hash, replaced_at, replaced_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
            [f.id, current.text, current.hash, f.at, f.by])).rows[0]!.id
          await client.query('UPDATE forms SET text = $2, hash = $3, updated_at = $4, updated_by = $5 WHERE id = $1', [f.id, f.text, f.hash, f.at, f.by])
        }
        await client.query('SELECT pg_notify($1, $2)', [FORMS_CHANGED, c.schema])
        return { ok: true as const, versionId }
      })
    },
    async onChange (callback) {
      return c.listen(FORMS_CHANGED, () => callback())
    },
  }
}
