/**
 * The SQLite implementation against every storage contract, and what only SQLite shows: what is on
 * disk (sealed personal data, hashed session ids), and that the worker's query uses its index.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStorage } from '../../src/storage/index.js'
import { hashSessionId } from '../../src/storage/sqlite/sessions.js'
import { tempDir } from '../helpers/app.js'
import { sqliteOf } from '../helpers/sqlite.js'
import { T0, submission, type OpenStorage } from './contract/harness.js'
import { accountStoreContract } from './contract/accounts.js'
import { alertStoreContract } from './contract/alerts.js'
import { formDraftStoreContract } from './contract/drafts.js'
import { formStoreContract } from './contract/forms.js'
import { outboxStoreContract } from './contract/outbox.js'
import { auditStoreContract, deliveryQueriesContract, formHistoryStoreContract, sessionStoreContract } from './contract/staff.js'
import { submissionStoreContract } from './contract/submissions.js'

const SECRET = 'a-test-secret-of-at-least-32-characters!'
const dirs = new Map<object, string>()
const open: OpenStorage = async () => {
  const dataDir = tempDir('rf-storage-')
  const storage = await openStorage({ dataDir, secret: SECRET })
  dirs.set(storage, dataDir)
  return {
    storage,
    async close () {
      await storage.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

submissionStoreContract('SQLite', open)
outboxStoreContract('SQLite', open)
deliveryQueriesContract('SQLite', open)
sessionStoreContract('SQLite', open)
auditStoreContract('SQLite', open)
formHistoryStoreContract('SQLite', open)
accountStoreContract('SQLite', open)
formStoreContract('SQLite', open)
alertStoreContract('SQLite', open)
formDraftStoreContract('SQLite', open)

describe('SQLite storage on disk', () => {
  it('keeps names, answers and the CRM answer unreadable in the database files', async () => {
    const { storage, close } = await open()
    const dataDir = dirs.get(storage)!
    const { reference } = await storage.submissions.insertOnce(submission('Wilhelmina'), T0, {})
    const [claim] = await storage.outbox.claimDue(T0, 60_000, 1, ['charitylog'])
    await storage.outbox.record(claim!, { kind: 'delivered', crmIds: { id: 1 }, raw: '{"surname":"Ravenscroft"}' }, T0, T0 + 1, T0, 3)
    await storage.outbox.flush()
    expect((await storage.submissions.readPersonalData(reference))?.crmResponse).toBe('{"surname":"Ravenscroft"}')
    const bytes = Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('referrals.db')).map((f) => readFileSync(path.join(dataDir, f))))
    expect(bytes.includes('Wilhelmina')).toBe(false)
    expect(bytes.includes('Ravenscroft')).toBe(false)
    await close()
  })

  it('keeps only a hash of each session id', async () => {
    const { storage, close } = await open()
    await storage.sessions.set('the-session-id', '{"signedIn":true}', T0 + 1000)
    const rows = sqliteOf(dirs.get(storage)!).prepare('SELECT * FROM admin_sessions').all()
    expect(rows).toEqual([{ id_hash: hashSessionId('the-session-id'), data: '{"signedIn":true}', expires_at: T0 + 1000 }])
    expect(JSON.stringify(rows)).not.toContain('the-session-id')
    await close()
  })

  it('claims through the partial index of sendable rows, whatever the backlog', async () => {
    const { storage, close } = await open()
    const db = sqliteOf(dirs.get(storage)!)
    const { stateInSql } = await import('../../src/outbox/delivery-state.js')
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM submissions WHERE ${stateInSql(['waiting'])}
      AND next_attempt_at IS NOT NULL AND destination = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 4`).all('charitylog', T0)
    expect(JSON.stringify(plan)).toContain('submissions_sendable')
    await close()
  })
})
