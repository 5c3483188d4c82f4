/**
 * `npm run outbox -- list [state]|show <ref>|retry <ref>`: the outbox from a terminal, until staff have
 * the admin pages. Reads the same DATA_DIR as the server (SQLite in WAL mode lets both open it at once).
 * `show` prints delivery facts and the attempt history, not the answers: personal data stays in the
 * database, encrypted, and is shown only where staff sign in.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { loadConfig } from '../config.js'
import { createOutbox } from '../outbox/outbox.js'
import { deliveryState, openSqliteStore, type SubmissionRow } from '../outbox/sqlite-store.js'
import { ROOT_DIR } from '../paths.js'
import { createSealer } from '../security/encryption.js'
import { resolveSecretKey } from '../security/secret-key.js'

const envFile = path.join(ROOT_DIR, '.env')
const config = loadConfig({ ...(existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {}), ...process.env })
const store = openSqliteStore(config.dataDir, createSealer(resolveSecretKey(config.secretKey, config.dataDir)))
const outbox = createOutbox(store)
const [command, arg] = process.argv.slice(2)
const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19))

function row (ref: string | undefined): SubmissionRow {
  const found = ref ? store.findByReference(ref.toUpperCase()) : undefined
  if (!found) {
    console.error(ref ? `No referral with reference ${ref}` : 'Give a reference, e.g. npm run outbox -- show ABCD2345')
    process.exit(1)
  }
  return found
}

let exitCode = 0
switch (command) {
  case 'list': {
    const rows = store.db.prepare('SELECT * FROM submissions ORDER BY created_at DESC LIMIT 500').all() as SubmissionRow[]
    const shown = rows.filter((r) => !arg || deliveryState(r) === arg)
    console.log(['reference', 'form', 'received', 'state', 'attempts', 'next attempt', 'last error'].join('\t'))
    for (const r of shown) {
      console.log([r.reference, r.form_id, time(r.created_at), deliveryState(r), r.attempts, time(r.next_attempt_at), r.held_reason ?? r.last_error ?? ''].join('\t'))
    }
    console.log(`${shown.length} referral(s)`)
    break
  }
  case 'show': {
    const r = row(arg)
    console.log(`reference:     ${r.reference}`)
    console.log(`form:          ${r.form_id} (version ${r.form_hash})`)
    console.log(`destination:   ${r.destination}`)
    console.log(`state:         ${deliveryState(r)}`)
    console.log(`received:      ${time(r.created_at)}`)
    console.log(`attempts:      ${r.attempts}`)
    console.log(`next attempt:  ${time(r.next_attempt_at)}`)
    console.log(`delivered:     ${time(r.delivered_at)}`)
    console.log(`failed:        ${time(r.failed_at)}`)
    if (r.held_reason) console.log(`held because:  ${r.held_reason}`)
    if (r.last_error) console.log(`last error:    ${r.last_error}`)
    if (r.crm_ids) console.log(`CRM record ids: ${r.crm_ids}`)
    console.log(`personal data: ${r.payload === null ? `deleted ${time(r.purged_at)}` : 'stored (encrypted)'}`)
    for (const a of outbox.attempts(r.id)) console.log(`  ${time(a.started_at)}  ${a.outcome}${a.detail ? `: ${a.detail}` : ''}`)
    break
  }
  case 'retry': {
    const r = row(arg)
    if (outbox.retryNow(r.reference, Date.now())) {
      console.log(`${r.reference} will be sent again by the running server within a few seconds.`)
    } else {
      console.error(`${r.reference} cannot be retried: it is ${deliveryState(r)}${r.payload === null ? ' and its data has been deleted' : ''}.`)
      exitCode = 1
    }
    break
  }
  default:
    console.error('Usage: npm run outbox -- list [waiting|held|delivered|failed|partly_delivered|handled|quarantined] | show <reference> | retry <reference>')
    exitCode = 2
}
store.close()
process.exit(exitCode)
