/** Storage in one SQLite file in DATA_DIR: every store of the contract (../types.ts) over one pair of connections. */
import type { Sealer } from '../../security/encryption.js'
import { widerThanPrivate } from '../../security/file-modes.js'
import type { Storage } from '../types.js'
import { createSqliteAccounts } from './accounts.js'
import { createSqliteAlerts } from './alerts.js'
import { createSqliteAudit } from './audit.js'
import { openSqlite } from './connection.js'
import { createSqliteDeliveries } from './deliveries.js'
import { createSqliteDrafts } from './drafts.js'
import { createSqliteFormHistory } from './form-history.js'
import { createSqliteForms } from './forms.js'
import { createSqliteOutbox } from './outbox.js'
import { createSqliteSessions } from './sessions.js'
import { createSqliteSettings } from './settings.js'
import { createSqliteSubmissions } from './submissions.js'

export { DATABASE_FILE } from './connection.js'

export function openSqliteStorage (dataDir: string, sealer: Sealer): Storage {
  const c = openSqlite(dataDir)
  const ping = c.db.prepare('SELECT 1').pluck()
  return {
    submissions: createSqliteSubmissions(c, sealer),
    outbox: createSqliteOutbox(c, sealer),
    deliveries: createSqliteDeliveries(c),
    sessions: createSqliteSessions(c),
    audit: createSqliteAudit(c),
    formHistory: createSqliteFormHistory(c),
    accounts: createSqliteAccounts(c, sealer),
    settings: createSqliteSettings(c),
    forms: createSqliteForms(c),
    alerts: createSqliteAlerts(c),
    drafts: createSqliteDrafts(c),
    shared: false,
    notices: widerThanPrivate([c.file]),
    async ping () {
      try {
        return ping.get() === 1
      } catch {
        return false
      }
    },
    async close () {
      c.close()
    },
  }
}
