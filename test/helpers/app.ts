/**
 * Builds the real app for a test: a fresh temp DATA_DIR (or a given one, for restart tests), the
 * forms folder of the test's choice, a pinned clock, and captured logs (to prove what is not in them).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { RelayOptions } from '../../src/outbox/relay.js'

export const EXAMPLE_FORMS = path.resolve(import.meta.dirname, '../../examples/forms')
export const FIXTURE_FORMS = path.resolve(import.meta.dirname, '../fixtures/forms')

export function tempDir (prefix = 'rf-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  dataDir: string
  logs: string[]
  close (): Promise<void>
}

export interface TestAppOptions {
  formsDir?: string
  dataDir?: string
  env?: Record<string, string>
  /** Default: 2026-06-15 12:00 UTC. */
  now?: Date
  /** A clock the test moves (e.g. past the minimum time to fill in a form); wins over `now`. */
  clock?: () => Date
  /** Relay settings (dispatcher, timeouts, concurrency...), passed to buildApp as they are. */
  relay?: RelayOptions
  /** Default true: the delivery worker runs in the test app. */
  startWorker?: boolean
  /** The mail worker's timings (default: a look every 50 ms, retries from 50 ms). */
  alerts?: AppDeps['alerts']
}

export async function buildTestApp (opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? tempDir()
  const ownsData = opts.dataDir === undefined
  // The clock is pinned, so a fill time means nothing here: the spam timing check is off unless a test sets it.
  const config = loadConfig({ FORMS_DIR: opts.formsDir ?? EXAMPLE_FORMS, DATA_DIR: dataDir, LOG_LEVEL: 'info', MIN_FILL_SECONDS: '0', ...opts.env })
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const now = opts.now ?? new Date('2026-06-15T12:00:00Z')
  const app = await buildApp(config, {
    logger: { level: 'info', stream },
    now: opts.clock ?? (() => now),
    ...(opts.relay !== undefined && { relay: opts.relay }),
    ...(opts.startWorker !== undefined && { startWorker: opts.startWorker }),
    alerts: { pollMs: 50, retryBaseMs: 50, ...opts.alerts },
  })
  try {
    await app.ready()
  } catch (err) {
    // Refused to start (a second server on one data folder): its storage is closed before the test removes the folder.
    await app.close().catch(() => {})
    throw err
  }
  return {
    app,
    config,
    dataDir,
    logs,
    async close () {
      await app.close()
      if (ownsData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The text of the smallest embeddable form file: one person with a first name, framable by `origins`. */
export function embeddableFormText (id: string, title: string, origins: string): string {
  return `id: ${id}
title: ${title}
destination: { type: charitylog }
people:
  - key: you
    heading: You
    charitylog: { org_type_id: 1 }
    fields:
      - { name: first_name, label: First name, type: text }
embed:
  allowed_origins: ${origins}
`
}

/** An urlencoded body from pairs (repeat a name for checkboxes). */
export function form (pairs: Array<[string, string]> | Record<string, string>): string {
  const list = Array.isArray(pairs) ? pairs : Object.entries(pairs)
  return new URLSearchParams(list).toString()
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' }

/**
 * A clock that runs 100 times faster than real time from the usual pinned test date: for tests
 * where time must move (a browser filling in a form) but should start from a known day.
 */
export function fastClock (): () => Date {
  const start = Date.now()
  const base = Date.parse('2026-06-15T12:00:00Z')
  return () => new Date(base + (Date.now() - start) * 100)
}

/** Listens on a free port of 127.0.0.1 and returns the app's base URL (for browser tests). */
export async function listenTestApp (t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
}
