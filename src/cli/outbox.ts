/**
 * `npm run outbox -- list [state]|show <ref>|retry <ref>`: the outbox from a terminal. Reads the same
 * storage as the server (DATA_DIR: SQLite in WAL mode lets both open it at once; or DATABASE_URL). `show` prints delivery facts
 * and the attempt history, not the answers: personal data stays in the database, encrypted, and is
 * shown only where staff sign in.
 */
import { deliveryState } from '../outbox/delivery-state.js'
import { readReference } from '../outbox/reference.js'
import { openConfigured } from '../environment.js'
import type { SubmissionRecord } from '../storage/index.js'

const { storage } = await openConfigured()
const [command, arg] = process.argv.slice(2)
const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19))

async function row (typed: string | undefined): Promise<SubmissionRecord> {
  const reference = typed === undefined ? undefined : readReference(typed)
  const found = reference === undefined ? undefined : await storage.submissions.findByReference(reference)
  if (!found) {
    console.error(typed ? `No referral with reference ${typed}` : 'Give a reference, e.g. npm run outbox -- show ABCD2345')
    process.exit(1)
  }
  return found
}

let exitCode = 0
switch (command) {
  case 'list': {
    const rows = await storage.submissions.listRecent(500)
    const shown = rows.filter((r) => !arg || deliveryState(r) === arg)
    console.log(['reference', 'form', 'received', 'state', 'attempts', 'next attempt', 'last error'].join('\t'))
    for (const r of shown) {
      console.log([r.reference, r.form_id, time(r.created_at), deliveryState(r), r.attempts, time(r.next_attempt_at), r.held_reason ?? r.last_error ?? ''].join('\t'))
    }
    console.log(`${shown.length} referral(s)`)
    break
  }
  case 'show': {
    const r = await row(arg)
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
    console.log(`personal data: ${r.has_personal_data ? 'stored (encrypted)' : `deleted ${time(r.purged_at)}`}`)
    for (const a of await storage.outbox.attempts(r.id)) console.log(`  ${time(a.started_at)}  ${a.outcome}${a.detail ? `: ${a.detail}` : ''}`)
    break
  }
  case 'retry': {
    const r = await row(arg)
    if (await storage.outbox.retryNow(r.reference, Date.now())) {
      console.log(`${r.reference} will be sent again by the running server within a few seconds.`)
    } else {
      console.error(`${r.reference} cannot be retried: it is ${deliveryState(r)}${r.has_personal_data ? '' : ' and its data has been deleted'}.`)
      exitCode = 1
    }
    break
  }
  default:
    console.error('Usage: npm run outbox -- list [waiting|held|delivered|failed|partly_delivered|handled|quarantined] | show <reference> | retry <reference>')
    exitCode = 2
}
await storage.close()
process.exit(exitCode)
