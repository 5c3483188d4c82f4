/** Storage in PostgreSQL (DATABASE_URL): every store of the contract over one pool. */
import type { Sealer } from '../../security/encryption.js'
import type { Storage } from '../types.js'
import { createPostgresAccounts } from './accounts.js'
import { createPostgresAlerts } from './alerts.js'
import { openPostgres } from './connection.js'
import { createPostgresDrafts } from './drafts.js'
import { createPostgresForms } from './forms.js'
import { createPostgresAudit, createPostgresDeliveries, createPostgresFormHistory, createPostgresSessions, createPostgresSettings } from './staff.js'
import { createPostgresOutbox } from './outbox.js'
import { createPostgresSubmissions } from './submissions.js'

/** `schema`: tests give each run a schema of its own; otherwise DATABASE_URL's own. */
export async function openPostgresStorage (connectionString: string, sealer: Sealer, schema?: string): Promise<Storage> {
  const c = await openPostgres(connectionString, schema)
  return {
    submissions: createPostgresSubmissions(c, sealer),
    outbox: createPostgresOutbox(c, sealer),
    deliveries: createPostgresDeliveries(c),
    sessions: createPostgresSessions(c),
    audit: createPostgresAudit(c),
    formHistory: createPostgresFormHistory(c),
    accounts: createPostgresAccounts(c, sealer),
    settings: createPostgresSettings(c),
    forms: createPostgresForms(c),
    alerts: createPostgresAlerts(c),
    drafts: createPostgresDrafts(c),
    shared: true,
    notices: [],
    async ping () {
      try {
        return (await c.pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]?.ok === 1
      } catch {
        return false
      }
    },
    close: () => c.close(),
  }
}
