/**
 * `npm run db:backup -- FILE`: an online back-up of the SQLite database in DATA_DIR into FILE (owner-only),
 * checked for integrity, while the server keeps running. With DATABASE_URL, PostgreSQL's own pg_dump is the
 * tool (README: Back-ups); this says so.
 */
import { loadConfig } from '../config.js'
import { environment, runCli } from '../environment.js'
import { SECRET_FILE } from '../security/secret-key.js'
import { backupSqlite } from '../storage/sqlite/backup.js'

async function main (): Promise<number> {
  const [to, ...rest] = process.argv.slice(2)
  if (!to || rest.length > 0) {
    console.error('Use: npm run db:backup -- FILE (for example: npm run db:backup -- backups/referrals-2026-12-02.db)')
    return 2
  }
  const config = loadConfig(environment())
  if (config.databaseUrl !== undefined) {
    console.error('With DATABASE_URL the referrals are in PostgreSQL: back it up with pg_dump --format=custom --file=FILE (README: Back-ups).')
    return 2
  }
  const { file, bytes } = await backupSqlite(config.dataDir, to)
  console.log(`Backed up ${config.dataDir} to ${file} (${Math.ceil(bytes / 1024)} KB), checked.`)
  console.log(`Keep the key apart from it: ${config.secretKey !== undefined ? 'SECRET_KEY' : `${config.dataDir}/${SECRET_FILE}`}. Without the key the referrals in the back-up cannot be read.`)
  return 0
}

runCli(main, [Error])
