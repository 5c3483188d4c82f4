/**
 * Entry point: read the environment (and `.env`, real environment winning), build the app, listen,
 * and close everything on SIGTERM/SIGINT. The only file that reads process.env or listens.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { ROOT_DIR } from './paths.js'

function environment (): Record<string, string | undefined> {
  const file = path.join(ROOT_DIR, '.env')
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  return { ...fromFile, ...process.env }
}

async function main () {
  let config
  try {
    config = loadConfig(environment())
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const app = await buildApp(config)
  let closing = false
  const close = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'Shutting down')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'Error while shutting down')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => close('SIGTERM'))
  process.on('SIGINT', () => close('SIGINT'))
  await app.listen({ port: config.port, host: config.host })
  const log = app.log as Logger // pino, writing to a buffered destination (app.ts)
  log.info(`Serving forms at ${config.publicUrl}/`)
  log.flush() // whoever watches the log sees the server start at once
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
