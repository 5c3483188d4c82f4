/**
 * `npm run db:copy -- --to postgres://…`: copies this install's SQLite database (DATA_DIR) into an
 * empty PostgreSQL database, checks it (src/storage/copy.ts), and says what to do next. The forms,
 * files in FORMS_DIR until now, are imported into the database when the first server starts with
 * DATABASE_URL. The server may keep running during the copy; referrals that arrive after it are not
 * in the copy, so stop it first for the move itself.
 */
import { loadConfig } from '../config.js'
import { environment, runCli } from '../environment.js'
import { resolveSecretKey, SECRET_FILE } from '../security/secret-key.js'
import { postgresStartupError } from '../storage/index.js'
import { copySqliteToPostgres, CopyRefused } from '../storage/copy.js'
import { isUnavailable } from '../storage/errors.js'

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  const to = args[0] === '--to' ? args[1] : undefined
  if (!to || !/^postgres(ql)?:\/\//.test(to) || args.length !== 2) {
    console.error('Use: npm run db:copy -- --to postgres://user:password@host:5432/database')
    return 2
  }
  const config = loadConfig({ ...environment(), DATABASE_URL: undefined })
  const secret = resolveSecretKey(config.secretKey, config.dataDir)
  let report
  try {
    report = await copySqliteToPostgres({ dataDir: config.dataDir, secret, to })
  } catch (err) {
    // PostgreSQL's own refusals (they carry a severity) and an unreachable server, said as at start.
    if (isUnavailable(err) || (err as { severity?: string }).severity !== undefined) throw postgresStartupError(to, err)
    throw err
  }
  for (const [table, n] of Object.entries(report.counts)) console.log(`${String(n).padStart(8)}  ${table}`)
  console.log(`Copied and checked: the counts match, and the personal data of all ${report.opened} referral(s) that still have it opens with this install's key.`)
  console.log('Next: stop this server; set DATABASE_URL to that database on every server, and SECRET_KEY to this install\'s key ' +
    `(${config.secretKey !== undefined ? 'the SECRET_KEY you use now' : `the contents of ${config.dataDir}/${SECRET_FILE}`}); then start them. ` +
    'The forms in FORMS_DIR are imported into the database at that first start.')
  return 0
}

runCli(main, [CopyRefused])
