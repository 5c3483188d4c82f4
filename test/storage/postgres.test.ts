/**
 * The PostgreSQL implementation against every storage contract (issue 12, first step). Each test
 * works in a schema of its own in the database of TEST_DATABASE_URL (`.ci/run` makes one database per
 * run), dropped after. Without a PostgreSQL server these tests fail, saying so: they are never skipped.
 */
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createSealer } from '../../src/security/encryption.js'
import { openPostgresStorage } from '../../src/storage/postgres/index.js'
import { T0, submission, type OpenStorage } from './contract/harness.js'
import { accountStoreContract } from './contract/accounts.js'
import { alertStoreContract } from './contract/alerts.js'
import { formDraftStoreContract } from './contract/drafts.js'
import { formStoreContract } from './contract/forms.js'
import { outboxStoreContract } from './contract/outbox.js'
import { auditStoreContract, deliveryQueriesContract, formHistoryStoreContract, sessionStoreContract } from './contract/staff.js'
import { submissionStoreContract } from './contract/submissions.js'
import { steps } from '../../src/storage/postgres/migrations.js'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = 'a-test-secret-of-at-least-32-characters!'
const admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 })
afterAll(() => admin.end())

let n = 0
const schemas = new WeakMap<object, string>()
const open: OpenStorage = async () => {
  const schema = `rf_test_${process.pid}_${Date.now().toString(36)}_${n++}`
  const storage = await openPostgresStorage(TEST_DATABASE_URL, createSealer(SECRET), schema).catch((err: Error) => {
    throw new Error(`PostgreSQL at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')} does not answer (${err.message}): start it, or set TEST_DATABASE_URL`)
  })
  schemas.set(storage, schema)
  return {
    storage,
    async close () {
      await storage.close()
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    },
  }
}

submissionStoreContract('PostgreSQL', open)
outboxStoreContract('PostgreSQL', open)
deliveryQueriesContract('PostgreSQL', open)
sessionStoreContract('PostgreSQL', open)
auditStoreContract('PostgreSQL', open)
formHistoryStoreContract('PostgreSQL', open)
accountStoreContract('PostgreSQL', open)
formStoreContract('PostgreSQL', open)
alertStoreContract('PostgreSQL', open)
formDraftStoreContract('PostgreSQL', open)

describe('PostgreSQL storage with several servers', () => {
  it('runs the migrations once when two servers open the same schema at the same moment', async () => {
    const schema = `rf_test_${process.pid}_${Date.now().toString(36)}_race`
    try {
      const [a, b] = await Promise.all([0, 1].map(() => openPostgresStorage(TEST_DATABASE_URL, createSealer(SECRET), schema)))
      const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)
      expect(rows.map((r: { version: number }) => r.version)).toEqual(steps.map((_, i) => i + 1))
      await a!.close()
      await b!.close()
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    }
  })

  it('gives each of two servers claiming at once different rows (SKIP LOCKED), none twice', async () => {
    const { storage: a, close } = await open()
    const b = await openPostgresStorage(TEST_DATABASE_URL, createSealer(SECRET), schemas.get(a))
    try {
      await a.submissions.insertMany(Array.from({ length: 40 }, (_, i) => submission(`P${i}`)), T0)
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).outbox.claimDue(T0, 60_000, 5, ['charitylog'])))
      const refs = claims.flat().map((r) => r.reference)
      expect(refs).toHaveLength(40)
      expect(new Set(refs).size).toBe(40)
    } finally {
      await b.close()
      await close()
    }
  })
})
