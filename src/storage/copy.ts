/**
 * Moving an install from SQLite to PostgreSQL (`npm run db:copy -- --to postgres://…`): every table
 * of DATA_DIR's database copied, as it is, into an empty PostgreSQL database, in one transaction (all
 * or nothing), keeping ids (so attempts, history and audit still point at the same rows) and the
 * sealed personal data as sealed bytes (readable by the servers that use the same SECRET_KEY). Then the
 * counts are compared table by table, and every referral's personal data is opened from PostgreSQL
 * with the key, so a copy that could not be read is found now rather than by staff.
 *
 * Written here rather than with a migration tool: the two schemas are this project's own, kept column
 * for column the same (migrations.ts of each), so a copy is a loop over tables.
 */
import Database from 'better-sqlite3'
import { createSealer } from '../security/encryption.js'
import { openPersonalData } from './sealed.js'
import { openPostgres } from './postgres/connection.js'
import { DATABASE_FILE } from './sqlite/connection.js'
import path from 'node:path'

/** Parents before children (foreign keys); `id` tables keep their ids. */
const TABLES = ['submissions', 'delivery_attempts', 'used_tokens', 'admin_sessions', 'audit_log', 'form_versions', 'accounts', 'account_tokens', 'settings', 'forms', 'alerts', 'crm_health', 'form_drafts'] as const
const WITH_IDENTITY = new Set(['submissions', 'delivery_attempts', 'audit_log', 'form_versions', 'accounts', 'alerts'])

export class CopyRefused extends Error {
  override name = 'CopyRefused'
}

export interface CopyReport { counts: Record<string, number>, opened: number }

export async function copySqliteToPostgres (o: { dataDir: string, secret: string, to: string, schema?: string }): Promise<CopyReport> {
  const file = path.join(o.dataDir, DATABASE_FILE)
  let sqlite: Database.Database
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true })
  } catch {
    throw new CopyRefused(`There is no database at ${file}: set DATA_DIR to the folder of the install to copy`)
  }
  const pg = await openPostgres(o.to, o.schema) // makes the tables, if they are not there yet
  try {
    const counts: Record<string, number> = {}
    await pg.transaction(async (client) => {
      for (const table of TABLES) {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)
        if (rows[0]!.n > 0) throw new CopyRefused(`The PostgreSQL database is not empty (its ${table} table has rows): copy into a new, empty database`)
      }
      // A snapshot of the whole file: the server may keep running meanwhile (WAL), and the copy is of one moment.
      sqlite.exec('BEGIN')
      try {
        for (const table of TABLES) {
          const columns = sqlite.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]
          const order = WITH_IDENTITY.has(table) ? ' ORDER BY id' : ''
          const rows = sqlite.prepare(`SELECT ${columns.join(', ')} FROM ${table}${order}`).raw().all() as unknown[][]
          counts[table] = rows.length
          const overriding = WITH_IDENTITY.has(table) ? 'OVERRIDING SYSTEM VALUE' : ''
          for (let i = 0; i < rows.length; i += 500) {
            const batch = rows.slice(i, i + 500)
            const values = batch.map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ')
            await client.query(`INSERT INTO ${table} (${columns.join(', ')}) ${overriding} VALUES ${values}`, batch.flat())
          }
          if (WITH_IDENTITY.has(table)) {
            await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`)
          }
        }
      } finally {
        sqlite.exec('COMMIT')
      }
    })
    // The counts, as PostgreSQL has them now.
    for (const table of TABLES) {
      const { rows } = await pg.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)
      if (rows[0]!.n !== counts[table]) throw new Error(`The copy of ${table} has ${rows[0]!.n} rows, not ${counts[table]}: the PostgreSQL database is left as it is; drop it and copy again`)
    }
    // Every referral's sealed data opens with the key, read back from PostgreSQL.
    const sealer = createSealer(o.secret)
    const { rows } = await pg.pool.query<{ reference: string, payload: Buffer | null, answers: Buffer | null, crm_response: Buffer | null }>(
      'SELECT reference, payload, answers, crm_response FROM submissions WHERE payload IS NOT NULL')
    for (const r of rows) openPersonalData(sealer, r.reference, r)
    return { counts, opened: rows.length }
  } finally {
    sqlite.close()
    await pg.close()
  }
}
