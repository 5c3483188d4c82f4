/**
 * Entry point: read the environment (and `.env`, real environment winning), build the app, listen,
 * and close everything on SIGTERM/SIGINT. The only file that listens.
 */
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { environment } from './environment.js'
import { InstanceLockedError } from './outbox/instance-lock.js'
import { StartupError } from './startup-error.js'

/** Mistakes in the setup, said in plain words (their messages are written for whoever runs the server). */
const isSetupMistake = (err: unknown): err is Error => err instanceof ConfigError || err instanceof StartupError || err instanceof InstanceLockedError

/** What listen's errors mean for whoever runs the server. */
function listenError (err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return new StartupError(`PORT: ${port} is already in use on ${host} by another program; stop it, or set PORT to a free port such as 3001`)
  if (code === 'EACCES') return new StartupError(`PORT: this user may not listen on port ${port} (ports below 1024 need extra rights); set PORT to 1024 or above, such as 3000`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new StartupError(`HOST: ${host} is not an address of this machine; use 127.0.0.1, or 0.0.0.0 to listen on every address`)
  return err
}

async function main () {
  const config = loadConfig(environment())
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
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => {})
    throw listenError(err, config.port, config.host)
  }
  const log = app.log as Logger // pino, writing to a buffered destination (app.ts)
  log.info(`Serving forms at ${config.publicUrl}/`)
  log.flush() // whoever watches the log sees the server start at once
}

main().catch((err: unknown) => {
  // A mistake in the setup gets its sentence alone; anything else is a bug, and its stack helps.
  console.error(isSetupMistake(err) ? err.message : err)
  process.exit(1)
})
