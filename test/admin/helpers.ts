/**
 * The staff pages through the real app: a forms folder copied from the examples (so saves never touch
 * the repository), a staff password, and `Staff`, a client that keeps the session cookie and sends
 * back the CSRF token of the last page it read, as a browser would.
 */
import { copyFileSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { afterEach } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { hashPassword } from '../../src/admin/passwords.js'
import { freePort } from '../helpers/net.js'
import type { Role } from '../../src/storage/index.js'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { RelayOptions } from '../../src/outbox/relay.js'
import { EXAMPLE_FORMS, FORM_HEADERS, tempDir } from '../helpers/app.js'

export const PASSWORD = 'correct horse battery staple'

export interface AdminTestApp {
  app: FastifyInstance
  config: Config
  formsDir: string
  dataDir: string
  logs: string[]
  close (): Promise<void>
}

export interface AdminTestOptions {
  /** null: no ADMIN_PASSWORD. */
  password?: string | null
  env?: Record<string, string>
  clock?: () => Date
  relay?: RelayOptions
  startWorker?: boolean
  formsWritable?: () => Promise<boolean>
}

/** A temp folder holding copies of the example forms. */
export function copyOfExampleForms (): string {
  const dir = tempDir('rf-admin-forms-')
  for (const name of readdirSync(EXAMPLE_FORMS).filter((n) => n.endsWith('.yaml'))) copyFileSync(path.join(EXAMPLE_FORMS, name), path.join(dir, name))
  return dir
}

export async function buildAdminApp (opts: AdminTestOptions = {}): Promise<AdminTestApp> {
  const formsDir = copyOfExampleForms()
  const dataDir = tempDir()
  const password = opts.password === undefined ? PASSWORD : opts.password
  const config = loadConfig({ FORMS_DIR: formsDir, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...(password !== null && { ADMIN_PASSWORD: password }), ...opts.env })
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const now = new Date('2026-06-15T12:00:00Z')
  const app = await buildApp(config, {
    logger: { level: 'info', stream },
    now: opts.clock ?? (() => now),
    ...(opts.relay !== undefined && { relay: opts.relay }),
    startWorker: opts.startWorker ?? false,
    ...(opts.formsWritable !== undefined && { formsWritable: opts.formsWritable }),
  })
  await app.ready()
  return {
    app,
    config,
    formsDir,
    dataDir,
    logs,
    async close () {
      await app.close()
      rmSync(formsDir, { recursive: true, force: true })
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The value of the first `_csrf` hidden input in a page. */
export function csrfIn (html: string): string | undefined {
  return /name="_csrf" value="([^"]*)"/.exec(html)?.[1]
}

/** A browser in miniature: one cookie jar (the staff cookie, the sign-in form's), the last CSRF token seen. */
export class Staff {
  readonly jar = new Map<string, string>()
  csrf: string | undefined
  constructor (readonly app: FastifyInstance) {}

  /** The staff session cookie, if there is one. */
  get cookie (): string | undefined {
    return this.jar.get('rf_admin')
  }

  private keep (res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    const token = csrfIn(res.body)
    if (token) this.csrf = token
    return res
  }

  private headers (): Record<string, string> {
    return this.jar.size > 0 ? { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}
  }

  async get (url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: this.headers() }))
  }

  /** POSTs a urlencoded form; the last page's CSRF token is added unless `csrf` says otherwise. */
  async post (url: string, fields: Record<string, string> | Array<[string, string]> = {}, csrf: string | false = this.csrf ?? false): Promise<LightMyRequestResponse> {
    const pairs = Array.isArray(fields) ? [...fields] : Object.entries(fields)
    if (csrf !== false) pairs.push(['_csrf', csrf])
    return this.keep(await this.app.inject({
      method: 'POST', url, headers: { ...FORM_HEADERS, ...this.headers() }, payload: new URLSearchParams(pairs).toString(),
    }))
  }

  async signIn (password = PASSWORD): Promise<LightMyRequestResponse> {
    await this.get('/admin/sign-in')
    return this.post('/admin/sign-in', { password })
  }

  /** Signs in with an account's email and password (and then follows to the page it leads to). */
  async signInAs (email: string, password = ACCOUNT_PASSWORD): Promise<LightMyRequestResponse> {
    await this.get('/admin/sign-in')
    return this.post('/admin/sign-in', { email, password })
  }
}

export const ACCOUNT_PASSWORD = 'a long walk by the river wye'

/** Makes an active account straight in storage (as `npm run users -- create-admin` does). */
export async function addAccount (app: FastifyInstance, email: string, role: Role, password = ACCOUNT_PASSWORD, name = email.split('@')[0]!) {
  const account = (await app.services.storage.accounts.create({ email, name, role, now: Date.now() }))!
  await app.services.storage.accounts.setPassword(account.id, await hashPassword(password), Date.now())
  return account
}

/** A member of staff signed in with their own account, on the page the sign-in led to. */
export async function signedInAs (app: FastifyInstance, email: string, password = ACCOUNT_PASSWORD): Promise<Staff> {
  const staff = new Staff(app)
  const res = await staff.signInAs(email, password)
  if (res.statusCode !== 303) throw new Error(`Sign-in failed: ${res.statusCode} ${res.body.slice(0, 300)}`)
  await staff.get(String(res.headers.location))
  return staff
}

/** A staff member already signed in, on the page the sign-in led to (so holding its CSRF token). */
export async function signedIn (app: FastifyInstance): Promise<Staff> {
  const staff = new Staff(app)
  const res = await staff.signIn()
  if (res.statusCode !== 303) throw new Error(`Sign-in failed: ${res.statusCode}`)
  await staff.get(String(res.headers.location))
  return staff
}

/** `build` makes an admin app for one test; every app made is closed after each test. */
export function useAdminApps (): (opts?: AdminTestOptions) => Promise<AdminTestApp> {
  const apps: AdminTestApp[] = []
  afterEach(async () => { for (const a of apps.splice(0)) await a.close() })
  return async (opts = {}) => {
    const t = await buildAdminApp(opts)
    apps.push(t)
    return t
  }
}

/**
 * The staff pages listening on a free port of 127.0.0.1, with PUBLIC_URL its address (for a browser), and
 * these accounts made (email, role, name; the password is ACCOUNT_PASSWORD). The clock is the real one.
 */
export async function listeningAdminApp (opts: AdminTestOptions, accounts: Array<[string, Role, string]> = []): Promise<{ t: AdminTestApp, base: string }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const t = await buildAdminApp({ password: null, clock: () => new Date(), ...opts, env: { PUBLIC_URL: base, ...opts.env } })
  await t.app.listen({ port, host: '127.0.0.1' })
  for (const [email, role, name] of accounts) await addAccount(t.app, email, role, ACCOUNT_PASSWORD, name)
  return { t, base }
}
