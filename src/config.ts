/**
 * The environment contract (../shared/spec/configuration.md) parsed once, at start.
 * `loadConfig(env)` is pure: it reads only the object it is given and throws a `ConfigError` that names
 * each wrong variable and what is wrong with it, never its value (some are secrets).
 */
import { z } from 'zod'
import type { CharitylogCredentials, CrmConfig, LamplightCredentials } from './crm/types.js'

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
const int = (def: number, min: number, max: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? def : v), z.coerce.number().int().min(min).max(max))

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('127.0.0.1')),
  PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
  FORMS_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('./forms')),
  DATA_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('./data')),
  SECRET_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  // NCSC: length, not composition rules. The staff accounts will hold their own passwords to the same rule.
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(12, 'must be at least 12 characters (a few words make a good one)').optional()),
  CHARITYLOG_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).default('https://api.dizions.co.uk/v2')),
  CHARITYLOG_SOURCE_KEY: optionalString,
  CHARITYLOG_ORG_KEY: optionalString,
  CHARITYLOG_USER_KEY: optionalString,
  LAMPLIGHT_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).default('https://lamplight.online/api')),
  LAMPLIGHT_KEY: optionalString,
  LAMPLIGHT_LAMPID: optionalString,
  LAMPLIGHT_PROJECT: optionalString,
  RETRY_BASE_DELAY_MS: int(30000, 1, 3_600_000),
  RETRY_MAX_ATTEMPTS: int(20, 1, 1000),
  RETENTION_DAYS: int(7, 0, 3650),
  MIN_FILL_SECONDS: int(3, 0, 600),
  TRUST_PROXY: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^(true|false|\d{1,2}|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/,
    'must be true, false, a number of proxies, or a comma-separated list of proxy addresses').default('false')),
  LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
})

export interface Config extends CrmConfig {
  port: number
  host: string
  /** Without a trailing slash. */
  publicUrl: string
  formsDir: string
  dataDir: string
  /** Undefined: generated once and kept in DATA_DIR (see secret-key.ts). */
  secretKey: string | undefined
  adminPassword: string | undefined
  retryBaseDelayMs: number
  retryMaxAttempts: number
  /** Days personal data is kept after delivery. */
  retentionDays: number
  /** A submission sent sooner than this after the form was shown is quarantined as probable spam. */
  minFillSeconds: number
  /** Fastify's trustProxy: whether (and which) X-Forwarded-For to believe for the client address. */
  trustProxy: boolean | number | string[]
  logLevel: string
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const trimSlash = (s: string) => s.replace(/\/+$/, '')

export function loadConfig (env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    // Only the variable name and zod's description of the rule: never the input value.
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  const e = parsed.data
  const cl = { sourceKey: e.CHARITYLOG_SOURCE_KEY, orgKey: e.CHARITYLOG_ORG_KEY, userKey: e.CHARITYLOG_USER_KEY }
  const ll = { key: e.LAMPLIGHT_KEY, lampid: e.LAMPLIGHT_LAMPID, project: e.LAMPLIGHT_PROJECT }
  const clMissing = ([['CHARITYLOG_SOURCE_KEY', cl.sourceKey], ['CHARITYLOG_ORG_KEY', cl.orgKey], ['CHARITYLOG_USER_KEY', cl.userKey]] as const)
    .filter(([, v]) => v === undefined).map(([k]) => k)
  const llMissing = ([['LAMPLIGHT_KEY', ll.key], ['LAMPLIGHT_LAMPID', ll.lampid], ['LAMPLIGHT_PROJECT', ll.project]] as const)
    .filter(([, v]) => v === undefined).map(([k]) => k)
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: trimSlash(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`),
    formsDir: e.FORMS_DIR,
    dataDir: e.DATA_DIR,
    secretKey: e.SECRET_KEY,
    adminPassword: e.ADMIN_PASSWORD,
    charitylog: {
      apiUrl: trimSlash(e.CHARITYLOG_API_URL),
      credentials: clMissing.length === 0 ? cl as CharitylogCredentials : undefined,
      missing: clMissing,
    },
    lamplight: {
      apiUrl: trimSlash(e.LAMPLIGHT_API_URL),
      credentials: llMissing.length === 0 ? ll as LamplightCredentials : undefined,
      missing: llMissing,
    },
    retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
    retryMaxAttempts: e.RETRY_MAX_ATTEMPTS,
    retentionDays: e.RETENTION_DAYS,
    minFillSeconds: e.MIN_FILL_SECONDS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    logLevel: e.LOG_LEVEL,
  }
}

function parseTrustProxy (v: string): boolean | number | string[] {
  if (v === 'true') return true
  if (v === 'false') return false
  if (/^\d+$/.test(v)) return Number(v)
  return v.split(',').map((s) => s.trim())
}
