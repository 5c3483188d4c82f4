/** The form builder's drafts in PostgreSQL (table `form_drafts`): the FormDraftStore contract. */
import type { FormDraft, FormDraftStore } from '../types.js'
import type { PostgresConnections } from './connection.js'

export function createPostgresDrafts ({ pool }: PostgresConnections): FormDraftStore {
  return {
    async get (formId) {
      return (await pool.query<FormDraft>('SELECT form_id, text, base, version, updated_at, updated_by FROM form_drafts WHERE form_id = $1', [formId])).rows[0]
    },
    async save (d) {
      if (d.expected === undefined) {
        const { rowCount } = await pool.query(`INSERT INTO form_drafts (form_id, text, base, version, updated_at, updated_by) VALUES ($1, $2, $3, 1, $4, $5)
          ON CONFLICT (form_id) DO NOTHING`, [d.formId, d.text, d.base, d.at, d.by])
        return rowCount === 1 ? { ok: true, version: 1 } : { ok: false }
      }
      const { rowCount } = await pool.query(`UPDATE form_drafts SET text = $2, base = $3, version = version + 1, updated_at = $4, updated_by = $5
        WHERE form_id = $1 AND version = $6`, [d.formId, d.text, d.base, d.at, d.by, d.expected])
      return rowCount === 1 ? { ok: true, version: d.expected + 1 } : { ok: false }
    },
    async discard (formId, expected) {
      const { rowCount } = expected === undefined
        ? await pool.query('DELETE FROM form_drafts WHERE form_id = $1', [formId])
        : await pool.query('DELETE FROM form_drafts WHERE form_id = $1 AND version = $2', [formId, expected])
      return rowCount === 1
    },
    async list () {
      return (await pool.query<Omit<FormDraft, 'text'>>('SELECT form_id, base, version, updated_at, updated_by FROM form_drafts ORDER BY form_id')).rows
    },
  }
}
