/** The environment the server and the command-line tools read: `.env` in the project, the real environment winning. */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { loadConfig, type Config } from './config.js'
import { ROOT_DIR } from './paths.js'
import { resolveSecretKey } from './security/secret-key.js'
import { openStorage, type Storage } from './storage/index.js'

export function environment (): Record<string, string | undefined> {
  const file = path.join(ROOT_DIR, '.env')
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  return { ...fromFile, ...process.env }
}

/** The configuration and storage a command-line tool works on: the server's own (same DATA_DIR or DATABASE_URL). */
export async function openConfigured (): Promise<{ config: Config, storage: Storage }> {
  const config = loadConfig(environment())
  const storage = await openStorage({ dataDir: config.dataDir, secret: resolveSecretKey(config.secretKey, config.dataDir), databaseUrl: config.databaseUrl })
  return { config, storage }
}
