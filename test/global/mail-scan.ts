/**
 * Vitest global set-up: a folder where every test process records the emails its SMTP servers took and
 * the answers of the referrals it sent (test/helpers/mail-log.ts); at the end of the run, every email is
 * scanned for any of those answers, and for any email address or phone number. One found fails the run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { personalDataIn, type LoggedMail } from '../helpers/mail-log.js'

export function setup () {
  const dir = mkdtempSync(path.join(tmpdir(), 'rf-mail-log-'))
  process.env.RF_MAIL_LOG = dir
  return function teardown () {
    const lines = (prefix: string) => readdirSync(dir).filter((f) => f.startsWith(prefix))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''))
    const mails = lines('mail-').map((l) => JSON.parse(l) as LoggedMail)
    const personal = new Set(lines('pii-').flatMap((l) => JSON.parse(l) as string[]))
    rmSync(dir, { recursive: true, force: true })
    const problems = mails.flatMap((m) => personalDataIn(m, personal).map((p) => `"${m.subject}": ${p}`))
    console.log(`Mail scan: ${mails.length} email(s) sent during the run, checked against ${personal.size} answer(s) of test referrals: ${problems.length} problem(s)`)
    if (problems.length > 0) {
      process.exitCode = 1
      throw new Error(`Personal data in emails sent during the tests:\n${problems.join('\n')}`)
    }
  }
}
