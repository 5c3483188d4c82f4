/**
 * The environment contract (../shared/spec/configuration.md) parsed once, at start.
 * `loadConfig(env)` is pure: it reads only the object it is given and throws a `ConfigError` with a
 * sentence for each wrong variable saying what it must be (CONFIG_MESSAGES), never its value.
 */
import path from 'node:path'
import { z } from 'zod'
import type { CharitylogCredentials, CrmConfig, LamplightCredentials } from './crm/types.js'
import { DEFAULT_FORMS_DIR } from './paths.js'

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
const int = (def: number, min: number, max: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? def : v), z.coerce.number().int().min(min).max(max))

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('127.0.0.1')),
  PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
  FORMS_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  DATA_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('./data')),
  SECRET_KEY: optionalString.pipe(z.string().min(32).optional()),
  // PostgreSQL, for several servers sharing one database (without it: SQLite in DATA_DIR).
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/).optional()),
  // NCSC: length, not composition rules. The staff accounts will hold their own passwords to the same rule.
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(12).optional()),
  CHARITYLOG_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).default('https://api.dizions.co.uk/v2')),
  CHARITYLOG_SOURCE_KEY: optionalString,
  CHARITYLOG_ORG_KEY: optionalString,
  CHARITYLOG_USER_KEY: optionalString,
  LAMPLIGHT_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).default('https://lamplight.online/api')),
  LAMPLIGHT_KEY: optionalString,
  LAMPLIGHT_LAMPID: optionalString,
  LAMPLIGHT_PROJECT: optionalString,
  RETRY_BASE_DELAY_MS: int(30000, 1, 3_600_000),
  CRM_TIMEOUT_SECONDS: int(30, 1, 300),
  RETRY_MAX_ATTEMPTS: int(20, 1, 1000),
  RETENTION_DAYS: int(7, 0, 3650),
  MIN_FILL_SECONDS: int(3, 0, 600),
  TRUST_PROXY: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^(true|false|\d{1,2}|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/).default('false')),
  LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  // Single sign-on (OpenID Connect): https, or http on this machine only (a provider run for tests).
  OIDC_ISSUER: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ })
    .refine((u) => u.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(u)).optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_LABEL: optionalString,
  OIDC_ALLOWED_DOMAINS: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}(\s*,\s*[a-z0-9.-]+\.[a-z]{2,})*$/i).optional()),
  PASSWORD_SIGN_IN: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['on', 'off']).default('on')),
  // The charity's own ways to be reached, offered to a visitor when a form cannot be used.
  CONTACT_PHONE: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().regex(/^\+?[0-9][0-9 ()-]{4,22}[0-9]$/).optional()),
  CONTACT_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.email().optional()),
  // Email alerts to staff (issue 13): a mail server by SMTP, as one address or as its parts.
  SMTP_URL: optionalString.pipe(z.string().regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?$/).optional()),
  SMTP_HOST: optionalString.pipe(z.string().regex(/^[a-zA-Z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/).optional()),
  SMTP_PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).optional()),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  SMTP_TLS: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['starttls', 'tls', 'off']).optional()),
  MAIL_FROM: optionalString.pipe(z.string().regex(/^([^<>@]*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/).optional()),
  ALERT_EMAILS: optionalString.pipe(z.string().regex(/^[^\s,@]+@[^\s,@]+\.[^\s,@]+(\s*,\s*[^\s,@]+@[^\s,@]+\.[^\s,@]+)*$/).optional()),
  // The charity's name, as visitors know it (their confirmation email says who has their referral).
  CHARITY_NAME: optionalString.pipe(z.string().max(120).regex(/^[^<>]+$/).optional()),
  DIGEST_TIME: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|off)$/).default('08:00')),
})

export interface Contact { phone: string | undefined, email: string | undefined }

/** How to reach the mail server (nodemailer's SMTP settings, less the secrets' place in a URL). */
export interface SmtpSettings {
  host: string
  port: number
  /** TLS from the first byte (port 465); otherwise STARTTLS, required unless `tls: 'off'`. */
  tls: 'starttls' | 'tls' | 'off'
  user: string | undefined
  password: string | undefined
}

/** Email alerts: on when a mail server is set (SMTP_URL or SMTP_HOST, with MAIL_FROM). */
export interface MailConfig {
  smtp: SmtpSettings
  from: string
  /** Who gets every staff alert, besides the accounts that chose them. */
  alertEmails: string[]
  /** The daily digest, UK time; undefined: none (DIGEST_TIME=off). */
  digestTime: { hour: number, minute: number } | undefined
}

export interface Config extends CrmConfig {
  port: number
  host: string
  /** Without a trailing slash. */
  publicUrl: string
  formsDir: string
  /** FORMS_DIR is unset or `./forms` (as in .env.example): the default folder, made from the shipped examples at first start. */
  formsDirIsDefault: boolean
  dataDir: string
  /** Undefined: generated once and kept in DATA_DIR (see secret-key.ts). Required with a database URL. */
  secretKey: string | undefined
  /** PostgreSQL, shared by every server; undefined: SQLite in DATA_DIR. */
  databaseUrl: string | undefined
  /** How long the CRM may take to answer one request (headers, then body); connecting takes at most 10 s of it. */
  crmTimeoutMs: number
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
  /** Single sign-on, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set. */
  sso: { issuer: string, clientId: string, clientSecret: string, label: string, allowedDomains: string[] } | undefined
  /** Whether staff may sign in with a password (off only with single sign-on). */
  passwordSignIn: boolean
  /** The charity's phone and email for visitors, where set (the "not available" page offers them). */
  contact: Contact
  /** Undefined: no mail server set, so email alerts are off (the staff pages say so). */
  mail: MailConfig | undefined
  /** The charity's name, where set (CHARITY_NAME). */
  charityName: string | undefined
}

/**
 * What to tell a volunteer about each variable's bad value: what it must be, with an example, never
 * the value given (some are secrets). Every variable that can be wrong has its sentence here.
 */
export const CONFIG_MESSAGES: Record<keyof z.infer<typeof envSchema>, string | undefined> = {
  PORT: 'PORT must be a whole number between 0 and 65535, such as 3000 (0 picks any free port)',
  HOST: undefined,
  PUBLIC_URL: 'PUBLIC_URL must be the full address visitors use, starting with http:// or https://, such as https://forms.example.org.uk',
  FORMS_DIR: undefined,
  DATA_DIR: undefined,
  SECRET_KEY: 'SECRET_KEY must be at least 32 characters long; or leave it out, and the server makes one and keeps it in DATA_DIR',
  DATABASE_URL: 'DATABASE_URL must be a PostgreSQL address starting with postgres://, such as postgres://referrals:password@db.example.org:5432/referrals; or leave it out to keep everything in DATA_DIR',
  ADMIN_PASSWORD: 'ADMIN_PASSWORD must be at least 12 characters long (a few words make a good one)',
  CHARITYLOG_API_URL: 'CHARITYLOG_API_URL must be a web address starting with http:// or https://, such as https://api.dizions.co.uk/v2',
  CHARITYLOG_SOURCE_KEY: undefined,
  CHARITYLOG_ORG_KEY: undefined,
  CHARITYLOG_USER_KEY: undefined,
  LAMPLIGHT_API_URL: 'LAMPLIGHT_API_URL must be a web address starting with http:// or https://, such as https://lamplight.online/api',
  LAMPLIGHT_KEY: undefined,
  LAMPLIGHT_LAMPID: undefined,
  LAMPLIGHT_PROJECT: undefined,
  CRM_TIMEOUT_SECONDS: 'CRM_TIMEOUT_SECONDS must be a whole number of seconds between 1 and 300, such as 30',
  RETRY_BASE_DELAY_MS: 'RETRY_BASE_DELAY_MS must be a whole number of milliseconds between 1 and 3600000, such as 30000 (30 seconds)',
  RETRY_MAX_ATTEMPTS: 'RETRY_MAX_ATTEMPTS must be a whole number between 1 and 1000, such as 20',
  RETENTION_DAYS: 'RETENTION_DAYS must be a whole number of days between 0 and 3650, such as 7',
  MIN_FILL_SECONDS: 'MIN_FILL_SECONDS must be a whole number of seconds between 0 and 600, such as 3 (0 turns the check off)',
  TRUST_PROXY: 'TRUST_PROXY must be true, false, a number of proxies in front of the server (such as 1), or a comma-separated list of their addresses',
  LOG_LEVEL: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent (info if unsure)',
  OIDC_ISSUER: 'OIDC_ISSUER must be the https address of your sign-in provider, such as https://login.microsoftonline.com/<tenant id>/v2.0',
  OIDC_CLIENT_ID: undefined,
  OIDC_CLIENT_SECRET: undefined,
  OIDC_LABEL: undefined,
  OIDC_ALLOWED_DOMAINS: 'OIDC_ALLOWED_DOMAINS must be email domains separated by commas, such as example.org.uk,example.org',
  PASSWORD_SIGN_IN: 'PASSWORD_SIGN_IN must be on or off',
  CONTACT_PHONE: 'CONTACT_PHONE must be a phone number of digits and spaces, such as 01234 567890 or +44 1234 567890',
  CONTACT_EMAIL: 'CONTACT_EMAIL must be an email address, such as help@example-charity.org.uk',
  SMTP_URL: 'SMTP_URL must be the mail server\'s address, such as smtp://mail.example.org.uk:587 or smtps://mail.example.org.uk:465 (put the user name and password in SMTP_USER and SMTP_PASSWORD)',
  SMTP_HOST: 'SMTP_HOST must be the mail server\'s host name, such as smtp.office365.com',
  SMTP_PORT: 'SMTP_PORT must be a whole number between 1 and 65535, such as 587',
  SMTP_USER: undefined,
  SMTP_PASSWORD: undefined,
  SMTP_TLS: 'SMTP_TLS must be starttls (the usual, port 587), tls (port 465) or off (only for a mail server on this machine)',
  MAIL_FROM: 'MAIL_FROM must be the address alerts come from, such as referrals@example-charity.org.uk or "Referral forms <referrals@example-charity.org.uk>"',
  ALERT_EMAILS: 'ALERT_EMAILS must be email addresses separated by commas, such as team@example-charity.org.uk,manager@example-charity.org.uk',
  CHARITY_NAME: 'CHARITY_NAME must be the charity\'s name as visitors know it, at most 120 characters, such as Wye Valley Carers',
  DIGEST_TIME: 'DIGEST_TIME must be a time of day in UK time as HH:MM, such as 08:00 (or off, for no daily summary)',
}

/** The configuration cannot be used: one sentence per variable that is wrong. */
export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

const trimSlash = (s: string) => s.replace(/\/+$/, '')

export function loadConfig (env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    // Only the variable's own sentence (never the input value), once per variable, in the schema's order.
    const wrong = new Set(parsed.error.issues.map((i) => String(i.path[0])))
    throw new ConfigError(Object.keys(envSchema.shape).filter((k) => wrong.has(k))
      .map((k) => CONFIG_MESSAGES[k as keyof typeof CONFIG_MESSAGES] ?? `${k} is not valid`))
  }
  const e = parsed.data
  const sso = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET]
  if (sso.some((v) => v !== undefined) && sso.some((v) => v === undefined)) {
    throw new ConfigError(['OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: set all three for single sign-on, or none'])
  }
  if (e.DATABASE_URL !== undefined && e.SECRET_KEY === undefined) {
    throw new ConfigError(['SECRET_KEY must be set when DATABASE_URL is: every server sharing the database needs the same key (make one with: openssl rand -base64 32, and keep a copy safe)'])
  }
  if (e.PASSWORD_SIGN_IN === 'off' && e.OIDC_ISSUER === undefined) {
    throw new ConfigError(['PASSWORD_SIGN_IN can be off only with single sign-on (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET): otherwise nobody could sign in'])
  }
  const mail = mailConfig(e)
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
    formsDir: e.FORMS_DIR ?? DEFAULT_FORMS_DIR,
    formsDirIsDefault: e.FORMS_DIR === undefined || path.relative('.', e.FORMS_DIR) === path.relative('.', DEFAULT_FORMS_DIR),
    dataDir: e.DATA_DIR,
    secretKey: e.SECRET_KEY,
    databaseUrl: e.DATABASE_URL,
    crmTimeoutMs: e.CRM_TIMEOUT_SECONDS * 1000,
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
    sso: e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
      ? {
          issuer: e.OIDC_ISSUER,
          clientId: e.OIDC_CLIENT_ID,
          clientSecret: e.OIDC_CLIENT_SECRET,
          label: e.OIDC_LABEL ?? 'your organisation\'s account',
          allowedDomains: e.OIDC_ALLOWED_DOMAINS?.split(',').map((d) => d.trim().toLowerCase()) ?? [],
        }
      : undefined,
    passwordSignIn: e.PASSWORD_SIGN_IN === 'on',
    contact: { phone: e.CONTACT_PHONE, email: e.CONTACT_EMAIL },
    mail,
    charityName: e.CHARITY_NAME,
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

function mailConfig (e: z.infer<typeof envSchema>): MailConfig | undefined {
  if (e.SMTP_URL !== undefined && e.SMTP_HOST !== undefined) {
    throw new ConfigError(['SMTP_URL and SMTP_HOST are two ways to say the same thing: set one of them'])
  }
  let host = e.SMTP_HOST
  let port = e.SMTP_PORT
  let tls = e.SMTP_TLS
  if (e.SMTP_URL !== undefined) {
    const u = new URL(e.SMTP_URL)
    if (u.username !== '' || u.password !== '') {
      throw new ConfigError(['SMTP_URL must not hold the user name or password (an address gets printed and copied): put them in SMTP_USER and SMTP_PASSWORD'])
    }
    host = u.hostname
    port ??= u.port === '' ? undefined : Number(u.port)
    tls ??= u.protocol === 'smtps:' ? 'tls' : 'starttls'
  }
  if (host === undefined) {
    if (e.MAIL_FROM !== undefined || e.ALERT_EMAILS !== undefined) {
      throw new ConfigError(['MAIL_FROM and ALERT_EMAILS need a mail server: set SMTP_HOST (or SMTP_URL), or leave them out and email alerts stay off'])
    }
    return undefined
  }
  if (e.MAIL_FROM === undefined) throw new ConfigError(['MAIL_FROM must be set with a mail server: the address alerts come from, such as referrals@example-charity.org.uk'])
  tls ??= 'starttls'
  if (tls === 'off' && !LOCAL_HOSTS.has(host)) {
    throw new ConfigError(['SMTP_TLS can be off only for a mail server on this machine (localhost): anywhere else the password and the emails would cross the network unencrypted'])
  }
  if ((e.SMTP_USER === undefined) !== (e.SMTP_PASSWORD === undefined)) {
    throw new ConfigError(['SMTP_USER and SMTP_PASSWORD go together: set both, or neither for a mail server that takes mail without signing in'])
  }
  const [hour, minute] = e.DIGEST_TIME.split(':').map(Number) as [number, number]
  const digestTime = e.DIGEST_TIME === 'off' ? undefined : { hour, minute }
  return {
    smtp: { host, port: port ?? (tls === 'tls' ? 465 : 587), tls, user: e.SMTP_USER, password: e.SMTP_PASSWORD },
    from: e.MAIL_FROM,
    alertEmails: e.ALERT_EMAILS?.split(',').map((a) => a.trim().toLowerCase()) ?? [],
    digestTime,
  }
}

function parseTrustProxy (v: string): boolean | number | string[] {
  if (v === 'true') return true
  if (v === 'false') return false
  if (/^\d+$/.test(v)) return Number(v)
  return v.split(',').map((s) => s.trim())
}
