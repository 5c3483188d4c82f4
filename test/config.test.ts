/**
 * The environment contract (src/config.ts, ../shared/spec/configuration.md): defaults, what each
 * variable becomes, and errors that name the variable without ever printing its value.
 */
import { describe, expect, it } from 'vitest'
import { CONFIG_MESSAGES, ConfigError, loadConfig } from '../src/config.js'

function problems (env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      formsDir: './forms',
      formsDirIsDefault: true,
      dataDir: './data',
      secretKey: undefined,
      adminPassword: undefined,
      retryBaseDelayMs: 30000,
      retryMaxAttempts: 20,
      retentionDays: 7,
      minFillSeconds: 3,
      trustProxy: false,
      logLevel: 'info',
    })
    expect(c.charitylog).toEqual({
      apiUrl: 'https://api.dizions.co.uk/v2',
      credentials: undefined,
      missing: ['CHARITYLOG_SOURCE_KEY', 'CHARITYLOG_ORG_KEY', 'CHARITYLOG_USER_KEY'],
    })
    expect(c.lamplight).toEqual({ apiUrl: 'https://lamplight.online/api', credentials: undefined, missing: ['LAMPLIGHT_KEY', 'LAMPLIGHT_LAMPID', 'LAMPLIGHT_PROJECT'] })
  })

  it('treats an empty value as unset, as a .env file line "NAME=" means', () => {
    expect(loadConfig({ PORT: '', HOST: '', SECRET_KEY: '', LOG_LEVEL: '' })).toMatchObject({ port: 3000, host: '127.0.0.1', secretKey: undefined, logLevel: 'info' })
  })

  it('reads every variable, trims trailing slashes from addresses, and gives credentials only when all three are set', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://forms.example.org/',
      CHARITYLOG_API_URL: 'http://127.0.0.1:4101/v2/',
      CHARITYLOG_SOURCE_KEY: 's',
      CHARITYLOG_ORG_KEY: 'o',
      CHARITYLOG_USER_KEY: 'u',
      LAMPLIGHT_KEY: 'k',
      LAMPLIGHT_LAMPID: '1',
      RETRY_BASE_DELAY_MS: '5',
      RETRY_MAX_ATTEMPTS: '2',
      RETENTION_DAYS: '0',
      MIN_FILL_SECONDS: '0',
      LOG_LEVEL: 'debug',
    })
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', publicUrl: 'https://forms.example.org', retryBaseDelayMs: 5, retryMaxAttempts: 2, retentionDays: 0, minFillSeconds: 0, logLevel: 'debug' })
    expect(c.charitylog).toEqual({ apiUrl: 'http://127.0.0.1:4101/v2', credentials: { sourceKey: 's', orgKey: 'o', userKey: 'u' }, missing: [] })
    expect(c.lamplight).toMatchObject({ credentials: undefined, missing: ['LAMPLIGHT_PROJECT'] })
    expect(loadConfig({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000')
    expect(loadConfig({ FORMS_DIR: '/srv/forms' })).toMatchObject({ formsDir: '/srv/forms', formsDirIsDefault: false })
    expect(loadConfig({}).contact).toEqual({ phone: undefined, email: undefined })
    expect(loadConfig({ CONTACT_PHONE: ' 01234 567890 ', CONTACT_EMAIL: 'help@charity.org.uk' }).contact).toEqual({ phone: '01234 567890', email: 'help@charity.org.uk' })
    expect(loadConfig({ FORMS_DIR: 'forms/' })).toMatchObject({ formsDir: 'forms/', formsDirIsDefault: true })
  })

  it('reads TRUST_PROXY as true, false, a number of proxies, or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1'])
    expect(problems({ TRUST_PROXY: 'everyone' })).toEqual([CONFIG_MESSAGES.TRUST_PROXY])
  })

  /** A bad value for every variable that can have one, and one more for some. */
  const BAD: Array<[keyof typeof CONFIG_MESSAGES, string]> = [
    ['PORT', 'abc'], ['PORT', '70000'], ['PORT', '3.5'], ['PORT', '-1'], ['PUBLIC_URL', 'charity-forms.test'], ['PUBLIC_URL', 'ftp://x.org'],
    ['SECRET_KEY', 'too-short'], ['ADMIN_PASSWORD', 'hunter2'], ['CHARITYLOG_API_URL', 'not a url'], ['LAMPLIGHT_API_URL', 'javascript:alert(1)'],
    ['RETRY_BASE_DELAY_MS', '0'], ['RETRY_BASE_DELAY_MS', 'soon'], ['RETRY_MAX_ATTEMPTS', '-1'], ['RETENTION_DAYS', 'seven'],
    ['MIN_FILL_SECONDS', '601'], ['TRUST_PROXY', 'everyone'], ['LOG_LEVEL', 'loud'],
    ['OIDC_ISSUER', 'http://login.example.org'], ['OIDC_ISSUER', 'not a url'], ['OIDC_ALLOWED_DOMAINS', 'nodots'], ['PASSWORD_SIGN_IN', 'maybe'],
    ['CONTACT_PHONE', 'call us'], ['CONTACT_PHONE', '<script>'], ['CONTACT_EMAIL', 'help at charity'],
    ['DATABASE_URL', 'mysql://forms:pw@db.example.org/forms'], ['DATABASE_URL', 'referrals-db:5432'], ['CRM_TIMEOUT_SECONDS', '0'], ['CRM_TIMEOUT_SECONDS', 'slow'],
    ['SMTP_URL', 'http://mail.example.org'], ['SMTP_URL', 'smtp://mail.example.org/path'], ['SMTP_HOST', 'smtp/relay'], ['SMTP_PORT', '0'], ['SMTP_PORT', 'twenty-five'],
    ['SMTP_TLS', 'yes'], ['MAIL_FROM', 'referrals at charity'], ['ALERT_EMAILS', 'team@charity.example; boss'], ['DIGEST_TIME', '8am'], ['DIGEST_TIME', '24:00'], ['CHARITY_NAME', '<b>Carers</b>'],
  ]

  it('has a bad value in this test for every variable that can be wrong', () => {
    const canBeWrong = Object.entries(CONFIG_MESSAGES).filter(([, m]) => m !== undefined).map(([k]) => k)
    expect([...new Set(BAD.map(([k]) => k))].sort()).toEqual(canBeWrong.sort())
  })

  it.each(BAD)('refuses %s=%s with one sentence a volunteer understands, naming the variable and never its value', (name, value) => {
    const found = problems({ [name]: value })
    expect(found).toEqual([CONFIG_MESSAGES[name]])
    expect(found[0]).toMatch(new RegExp(`^${name} must `))
    if (!/^-?[\d.]+$/.test(value)) expect(found[0]).not.toContain(value)
  })

  it('reads single sign-on only with all three settings, and lets password sign-in be turned off only with it', () => {
    const sso = { OIDC_ISSUER: 'https://login.example.org/tenant/v2.0', OIDC_CLIENT_ID: 'forms', OIDC_CLIENT_SECRET: 's3cr3t-value' }
    expect(loadConfig({ ...sso, OIDC_ALLOWED_DOMAINS: 'Example.org, carers.org.uk', PASSWORD_SIGN_IN: 'off' })).toMatchObject({
      sso: { issuer: sso.OIDC_ISSUER, clientId: 'forms', clientSecret: 's3cr3t-value', label: "your organisation's account", allowedDomains: ['example.org', 'carers.org.uk'] },
      passwordSignIn: false,
    })
    expect(loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:4000', OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'b' }).sso?.issuer).toBe('http://127.0.0.1:4000')
    expect(loadConfig({}).sso).toBeUndefined()
    expect(problems({ OIDC_ISSUER: sso.OIDC_ISSUER })).toEqual(['OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: set all three for single sign-on, or none'])
    expect(problems({ PASSWORD_SIGN_IN: 'off' })[0]).toMatch(/^PASSWORD_SIGN_IN can be off only with single sign-on/)
    expect(JSON.stringify(problems({ OIDC_CLIENT_SECRET: 's3cr3t-value' }))).not.toContain('s3cr3t-value')
  })

  it('turns email alerts on with a mail server and MAIL_FROM, and says what is missing or unsafe', () => {
    expect(loadConfig({}).mail).toBeUndefined()
    expect(loadConfig({ SMTP_HOST: 'smtp.office365.com', SMTP_USER: 'forms@charity.example', SMTP_PASSWORD: 'pw-secret', MAIL_FROM: 'Forms <forms@charity.example>', ALERT_EMAILS: 'Team@Charity.example, boss@charity.example' }).mail).toEqual({
      smtp: { host: 'smtp.office365.com', port: 587, tls: 'starttls', user: 'forms@charity.example', password: 'pw-secret' },
      from: 'Forms <forms@charity.example>',
      alertEmails: ['team@charity.example', 'boss@charity.example'],
      digestTime: { hour: 8, minute: 0 },
    })
    expect(loadConfig({ SMTP_URL: 'smtps://mail.example.org', MAIL_FROM: 'a@charity.example', DIGEST_TIME: '07:30' }).mail).toMatchObject({ smtp: { host: 'mail.example.org', port: 465, tls: 'tls' }, digestTime: { hour: 7, minute: 30 } })
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:2525', MAIL_FROM: 'a@charity.example' }).mail?.smtp).toMatchObject({ port: 2525, tls: 'starttls' })
    expect(loadConfig({ SMTP_HOST: 'mail.example.org', MAIL_FROM: 'a@charity.example', DIGEST_TIME: 'off' }).mail?.digestTime).toBeUndefined()
    expect(problems({ SMTP_HOST: 'mail.example.org' })[0]).toMatch(/^MAIL_FROM must be set with a mail server/)
    expect(problems({ MAIL_FROM: 'a@charity.example' })[0]).toMatch(/^MAIL_FROM and ALERT_EMAILS need a mail server/)
    expect(problems({ SMTP_HOST: 'a.example', SMTP_URL: 'smtp://b.example', MAIL_FROM: 'a@charity.example' })[0]).toMatch(/^SMTP_URL and SMTP_HOST are two ways/)
    expect(problems({ SMTP_HOST: 'mail.example.org', SMTP_TLS: 'off', MAIL_FROM: 'a@charity.example' })[0]).toMatch(/^SMTP_TLS can be off only for a mail server on this machine/)
    expect(loadConfig({ SMTP_HOST: '127.0.0.1', SMTP_PORT: '2525', SMTP_TLS: 'off', MAIL_FROM: 'a@charity.example' }).mail?.smtp.tls).toBe('off')
    expect(problems({ SMTP_HOST: 'mail.example.org', SMTP_USER: 'u', MAIL_FROM: 'a@charity.example' })[0]).toMatch(/^SMTP_USER and SMTP_PASSWORD go together/)
    // A password in the address would be printed wherever the address is: refused, and not repeated.
    const refused = problems({ SMTP_URL: 'smtp://forms:hunter22@mail.example.org', MAIL_FROM: 'a@charity.example' })
    expect(refused[0]).toMatch(/^SMTP_URL must not hold the user name or password/)
    expect(JSON.stringify(refused)).not.toContain('hunter22')
  })

  it('uses PostgreSQL only with a SECRET_KEY every server shares, and never prints the address it refuses', () => {
    const url = 'postgres://forms:pa55word@db.example.org:5432/referrals'
    expect(problems({ DATABASE_URL: url })).toEqual([
      'SECRET_KEY must be set when DATABASE_URL is: every server sharing the database needs the same key (make one with: openssl rand -base64 32, and keep a copy safe)',
    ])
    expect(loadConfig({ DATABASE_URL: url, SECRET_KEY: 'k'.repeat(32) }).databaseUrl).toBe(url)
    expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/referrals', SECRET_KEY: 'k'.repeat(32) }).databaseUrl).toBe('postgresql://localhost/referrals')
    expect(loadConfig({}).databaseUrl).toBeUndefined()
    expect(JSON.stringify(problems({ DATABASE_URL: 'postgres://forms:pa55word@db example.org/x' }))).not.toContain('pa55word')
  })

  it('reads how long the CRM may take to answer, 30 seconds unless set', () => {
    expect(loadConfig({}).crmTimeoutMs).toBe(30_000)
    expect(loadConfig({ CRM_TIMEOUT_SECONDS: '90' }).crmTimeoutMs).toBe(90_000)
  })

  it('refuses a staff password shorter than 12 characters, without printing it', () => {
    expect(problems({ ADMIN_PASSWORD: 'hunter2hunt' })).toEqual([CONFIG_MESSAGES.ADMIN_PASSWORD])
    expect(loadConfig({ ADMIN_PASSWORD: 'twelve chars' }).adminPassword).toBe('twelve chars')
  })

  it('never prints the value of a secret it refuses, and lists every wrong variable at once', () => {
    const secret = 'short-secret-XYZ'
    const err = (() => {
      try {
        loadConfig({ SECRET_KEY: secret, PORT: 'abc', LOG_LEVEL: 'loud' })
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.problems).toEqual([CONFIG_MESSAGES.PORT, CONFIG_MESSAGES.SECRET_KEY, CONFIG_MESSAGES.LOG_LEVEL])
    expect(err!.message).not.toContain(secret)
    expect(err!.message).toBe(err!.problems.join('\n'))
  })
})
