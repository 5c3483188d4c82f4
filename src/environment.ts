/** The environment the server and the command-line tools read: `.env` in the project, the real environment winning. */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { ConfigError, loadConfig, type Config } from './config.js'
import { ROOT_DIR } from './paths.js'
import { resolveSecretKey } from './security/secret-key.js'
import { StartupError } from './startup-error.js'
import { openStorage, type Storage } from './storage/index.js'

export function environment (): Record<string, string | undefined> {
  const file = path.join(ROOT_DIR, '.env')
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  return { ...fromFile, ...process.env }
}

/** The configuration and storage a command-line tool works on: the server's own (same DATA_DIR or DATABASE_URL). */
export async function openConfigured (config: Config = loadConfig(environment())): Promise<{ config: Config, storage: Storage }> {
  const storage = await openStorage({ dataDir: config.dataDir, secret: resolveSecretKey(config.secretKey, config.dataDir), databaseUrl: config.databaseUrl })
  return { config, storage }
}

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Runs a command-line tool's `main` and exits with its code. A configuration or start-up error (and any of the
 * `said` classes, whose messages are sentences for the person at the terminal) prints its message alone;
 * anything else prints in full, stack included, because it is a fault to report.
 */
export function runCli (main: () => Promise<number>, said: ErrorClass[] = []): void {
  const sentences: ErrorClass[] = [ConfigError, StartupError, ...said]
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(sentences.some((c) => err instanceof c) ? (err as Error).message : err)
    process.exit(1)
  })
}
