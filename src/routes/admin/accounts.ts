/**
 * Staff accounts. Admins: the list, inviting (a single-use link, valid 7 days, copied from the page
 * until email alerts exist), changing a role, disabling (the account's sessions end at its next
 * request), enabling, issuing a password-reset link, turning off someone's two-factor sign-in (a lost
 * phone), and requiring two-factor sign-in for every password account. Everyone: their own password
 * and two-factor sign-in. And the pages the links lead to, reachable without a session.
 */
import { TOPIC_LABELS, TOPICS } from '../../alerts/kinds.js'
import { hasChosenTopics, topicsOf } from '../../alerts/recipients.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hashPassword, passwordMatchesHash, passwordProblem } from '../../admin/passwords.js'
import { actorOf, isRole, ROLE_HINTS, ROLE_LABELS, ROLES } from '../../admin/roles.js'
import { enrolment, hashLinkToken, hashRecoveryCode, newLinkToken, newRecoveryCodes, newTotpSecret, totpStep } from '../../admin/two-factor.js'
import { ukTime } from '../../admin/format.js'
import type { Account, AccountTokenPurpose } from '../../storage/index.js'
import { actor, flash, renderMessage, renderPage, seeOther, type RouteOptions } from './render.js'
import { CODE_PATH } from './sign-in.js'

export const TWO_FACTOR_PATH = '/admin/account/two-factor'
/** The setting that makes two-factor sign-in compulsory for password accounts. */
export const REQUIRE_2FA = 'require_two_factor'
export const LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/

const statusOf = (a: Account) => (a.disabled_at !== null ? 'Disabled' : a.activated_at !== null ? 'Active' : 'Invited')
const LINK_PAGES: Record<AccountTokenPurpose, string> = { invitation: '/admin/welcome', reset: '/admin/reset' }

export default async function accountRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { storage } = app.services
  const now = () => app.services.now().getTime()
  const linkFor = (purpose: AccountTokenPurpose, token: string) => `${ctx.config.publicUrl}${LINK_PAGES[purpose]}?${new URLSearchParams({ token })}`

  async function issueLink (account: Account, purpose: AccountTokenPurpose): Promise<string> {
    const { token, hash } = newLinkToken()
    await ctx.accounts.issueToken({ accountId: account.id, purpose, tokenHash: hash, expiresAt: now() + LINK_TTL_MS })
    return linkFor(purpose, token)
  }

  /** Whether changing this account would leave no active admin. */
  async function lastAdmin (account: Account): Promise<boolean> {
    const admins = (await ctx.accounts.list()).filter((a) => a.role === 'admin' && a.disabled_at === null)
    return account.role === 'admin' && admins.length <= 1
  }

  // ---- Admins: the accounts ----

  const listPage = async (reply: FastifyReply, o: { errors?: Array<{ id: string, message: string }>, values?: Record<string, string>, link?: { email: string, url: string } } = {}, status = 200) =>
    renderPage(reply, ctx, 'accounts', {
      pageTitle: `${o.errors?.length ? 'Error: ' : ''}Staff accounts`,
      section: 'accounts',
      accounts: (await ctx.accounts.list()).map((a) => ({ ...a, status: statusOf(a), roleLabel: ROLE_LABELS[a.role], lastSignIn: ukTime(a.last_sign_in_at) })),
      roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], hint: ROLE_HINTS[r], checked: (o.values?.role ?? 'caseworker') === r })),
      errors: o.errors ?? [],
      values: o.values ?? { email: '', name: '', role: 'caseworker' },
      link: o.link,
      requireTwoFactor: await storage.settings.get(REQUIRE_2FA) === 'yes',
    }, status)

  app.get('/accounts', { config: { permission: 'accounts' } }, async (_req, reply) => listPage(reply))

  app.post<{ Body: { email?: unknown, name?: unknown, role?: unknown } }>('/accounts', { config: { permission: 'accounts' } }, async (req, reply) => {
    const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : ''
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : ''
    const role = isRole(req.body?.role) ? req.body.role : undefined
    const errors: Array<{ id: string, message: string }> = []
    if (!EMAIL.test(email) || email.length > 254) errors.push({ id: 'email', message: 'Enter an email address in the correct format, like name@example.org' })
    if (name === '' || name.length > 100) errors.push({ id: 'name', message: 'Enter their name (at most 100 characters)' })
    if (!role) errors.push({ id: 'role-admin', message: 'Choose what they may do' })
    const values = { email, name, role: role ?? '' }
    if (errors.length > 0 || !role) return listPage(reply, { errors, values }, 422)
    const account = await ctx.accounts.create({ email, name, role, now: now() })
    if (!account) return listPage(reply, { errors: [{ id: 'email', message: 'There is already an account with this email address' }], values }, 422)
    const url = await issueLink(account, 'invitation')
    await ctx.audit.record(actor(req), 'account invited', email, ROLE_LABELS[role])
    req.log.info({ account: account.id }, 'Staff account invited')
    return listPage(reply, { link: { email, url } })
  })

  app.post<{ Body: { require?: unknown } }>('/accounts/two-factor', { config: { permission: 'accounts' } }, async (req, reply) => {
    const on = req.body?.require === 'yes'
    await storage.settings.set(REQUIRE_2FA, on ? 'yes' : 'no')
    await ctx.audit.record(actor(req), 'setting changed', 'two-factor sign-in', on ? 'required' : 'optional')
    flash(req, 'success', on ? 'Two-factor sign-in is now required: everyone with a password sets it up at their next sign-in.' : 'Two-factor sign-in is now optional.')
    return seeOther(reply, '/admin/accounts')
  })

  const accountOf = async (req: FastifyRequest<{ Params: { accountId: string } }>) => ctx.accounts.findById(Number(req.params.accountId))

  const accountPage = async (reply: FastifyReply, a: Account, link?: string) => renderPage(reply, ctx, 'account', {
    pageTitle: `${a.name}: staff account`,
    section: 'accounts',
    a: { ...a, status: statusOf(a), roleLabel: ROLE_LABELS[a.role], lastSignIn: ukTime(a.last_sign_in_at), created: ukTime(a.created_at) },
    roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], hint: ROLE_HINTS[r], checked: a.role === r })),
    self: reply.request.staff?.account?.id === a.id,
    link,
  })

  app.get<{ Params: { accountId: string } }>('/accounts/:accountId', { config: { permission: 'accounts' } }, async (req, reply) => {
    const a = await accountOf(req)
    return a ? accountPage(reply, a) : reply.callNotFound()
  })

  app.post<{ Params: { accountId: string }, Body: { action?: unknown, role?: unknown } }>('/accounts/:accountId', { config: { permission: 'accounts' } }, async (req, reply) => {
    const a = await accountOf(req)
    if (!a) return reply.callNotFound()
    const self = req.staff?.account?.id === a.id
    const back = `/admin/accounts/${a.id}`
    switch (req.body?.action) {
      case 'role': {
        const role = req.body.role
        if (!isRole(role) || role === a.role) return seeOther(reply, back)
        if (await lastAdmin(a)) {
          flash(req, 'warning', 'This is the only admin: make someone else an admin first.')
          return seeOther(reply, back)
        }
        await ctx.accounts.setRole(a.id, role)
        await ctx.audit.record(actor(req), 'role changed', a.email, `${ROLE_LABELS[a.role]} → ${ROLE_LABELS[role]}`)
        flash(req, 'success', `${a.name} is now ${ROLE_LABELS[role].toLowerCase()}. It takes effect at their next page.`)
        return seeOther(reply, back)
      }
      case 'disable':
        if (self || await lastAdmin(a)) {
          flash(req, 'warning', self ? 'You cannot disable your own account.' : 'This is the only admin: make someone else an admin first.')
          return seeOther(reply, back)
        }
        await ctx.accounts.setDisabled(a.id, true, now())
        await ctx.audit.record(actor(req), 'account disabled', a.email)
        flash(req, 'success', `${a.name} can no longer sign in, and is signed out everywhere.`)
        return seeOther(reply, back)
      case 'enable':
        await ctx.accounts.setDisabled(a.id, false, now())
        await ctx.audit.record(actor(req), 'account enabled', a.email)
        flash(req, 'success', `${a.name} can sign in again.`)
        return seeOther(reply, back)
      case 'reset': {
        const purpose: AccountTokenPurpose = a.activated_at === null ? 'invitation' : 'reset'
        const url = await issueLink(a, purpose)
        await ctx.audit.record(actor(req), 'reset link issued', a.email, purpose)
        return accountPage(reply, a, url)
      }
      case 'two-factor-off':
        await ctx.accounts.setTotp(a.id, null, now())
        await ctx.audit.record(actor(req), 'two-factor off', a.email, 'by an admin')
        flash(req, 'success', `Two-factor sign-in is off for ${a.name}: they set it up again at their next sign-in if it is required.`)
        return seeOther(reply, back)
      default:
        return seeOther(reply, back)
    }
  })

  // ---- Everyone: their own account ----

  const myPage = async (reply: FastifyReply, o: { errors?: Array<{ id: string, message: string }> } = {}, status = 200) => {
    const me = reply.request.staff!
    const chosen = me.account && await topicsOf(storage.settings, me.account)
    return renderPage(reply, ctx, 'my-account', {
      pageTitle: `${o.errors?.length ? 'Error: ' : ''}Your account`,
      section: 'account',
      account: me.account && { ...me.account, roleLabel: ROLE_LABELS[me.account.role] },
      mailOn: app.services.config.mail !== undefined,
      topics: TOPICS.map((t) => ({ value: t, ...TOPIC_LABELS[t], checked: chosen?.includes(t) ?? false })),
      topicsAreDefault: me.account !== undefined && !(await hasChosenTopics(storage.settings, me.account.id)),
      errors: o.errors ?? [],
    }, status)
  }

  app.get('/account', { config: { permission: 'self' } }, async (_req, reply) => myPage(reply))

  app.post<{ Body: { current?: unknown, password?: unknown } }>('/account/password', { config: { permission: 'self' } }, async (req, reply) => {
    const me = req.staff!.account
    if (!me) return seeOther(reply, '/admin/account')
    const current = typeof req.body?.current === 'string' ? req.body.current : ''
    const password = typeof req.body?.password === 'string' ? req.body.password : ''
    if (!(await passwordMatchesHash(current, await ctx.accounts.passwordHash(me.id)))) {
      return myPage(reply, { errors: [{ id: 'current', message: 'Your current password is not right' }] }, 422)
    }
    const problem = passwordProblem(password, me)
    if (problem) return myPage(reply, { errors: [{ id: 'password', message: problem }] }, 422)
    await ctx.accounts.setPassword(me.id, await hashPassword(password), now())
    await ctx.audit.record(actorOf(me), 'password set', me.email, 'changed by its owner')
    flash(req, 'success', 'Your password has been changed.')
    return seeOther(reply, '/admin/account')
  })

  /** The set-up page: a new secret (kept in the session until its first code is typed), its QR code. */
  async function setupPage (req: FastifyRequest, reply: FastifyReply, error?: string) {
    const me = req.staff!.account!
    const started = req.session.totpSetup
    const secret = started && now() - started.at < 30 * 60 * 1000 ? started.secret : newTotpSecret()
    if (secret !== started?.secret) req.session.totpSetup = { secret, at: now() }
    const { svg } = await enrolment(secret, me.email)
    return renderPage(reply, ctx, 'two-factor-setup', {
      pageTitle: `${error ? 'Error: ' : ''}Set up two-factor sign-in`,
      section: 'account',
      qr: svg,
      secret: secret.replace(/(.{4})/g, '$1 ').trim(),
      required: await storage.settings.get(REQUIRE_2FA) === 'yes',
      errors: error ? [{ id: 'code', message: error }] : [],
      error,
    }, error ? 422 : 200)
  }

  app.get(TWO_FACTOR_PATH.replace('/admin', ''), { config: { permission: 'self' } }, async (req, reply) => {
    const me = req.staff!.account
    if (!me) return seeOther(reply, '/admin/account')
    if (me.totp_enabled_at !== null) return seeOther(reply, '/admin/account')
    return setupPage(req, reply)
  })

  app.post<{ Body: { code?: unknown } }>(TWO_FACTOR_PATH.replace('/admin', ''), { config: { permission: 'self' } }, async (req, reply) => {
    const me = req.staff!.account
    const setup = req.session.totpSetup
    if (!me || !setup) return seeOther(reply, '/admin/account')
    const code = typeof req.body?.code === 'string' ? req.body.code : ''
    const step = totpStep(setup.secret, code, now())
    if (step === undefined) return setupPage(req, reply, 'Enter the 6-digit code your authenticator app shows now')
    const codes = newRecoveryCodes()
    await ctx.accounts.setTotp(me.id, { secret: setup.secret, recoveryHashes: codes.map(hashRecoveryCode) }, now())
    await ctx.accounts.useTotpStep(me.id, step)
    delete req.session.totpSetup
    await ctx.audit.record(actorOf(me), 'two-factor on', me.email)
    return renderPage(reply, ctx, 'recovery-codes', { pageTitle: 'Your recovery codes', section: 'account', codes })
  })

  app.post('/account/two-factor/off', { config: { permission: 'self' } }, async (req, reply) => {
    const me = req.staff!.account
    if (!me) return seeOther(reply, '/admin/account')
    if (await storage.settings.get(REQUIRE_2FA) === 'yes') {
      flash(req, 'warning', 'Two-factor sign-in is required here, so it cannot be turned off. An admin can reset it if you lose your phone.')
      return seeOther(reply, '/admin/account')
    }
    await ctx.accounts.setTotp(me.id, null, now())
    await ctx.audit.record(actorOf(me), 'two-factor off', me.email, 'by its owner')
    flash(req, 'success', 'Two-factor sign-in is off.')
    return seeOther(reply, '/admin/account')
  })

  // ---- The links: set a password (invitation) or a new one (reset), without a session ----

  for (const purpose of ['invitation', 'reset'] as const) {
    const url = LINK_PAGES[purpose].replace('/admin', '')
    const linkPage = async (reply: FastifyReply, a: Account, token: string, error?: string) => renderPage(reply, ctx, 'welcome', {
      pageTitle: `${error ? 'Error: ' : ''}${purpose === 'invitation' ? 'Set your password' : 'Choose a new password'}`,
      purpose,
      action: LINK_PAGES[purpose],
      name: a.name,
      email: a.email,
      token,
      errors: error ? [{ id: 'password', message: error }] : [],
      error,
    }, error ? 422 : 200)
    const dead = (reply: FastifyReply) => renderMessage(reply, ctx, 410, 'This link does not work any more', [
      `A link to ${purpose === 'invitation' ? 'set up an account' : 'choose a new password'} works once, for 7 days. Ask an admin for a new one.`,
    ])
    const accountFor = async (token: unknown, spend: boolean) => {
      if (typeof token !== 'string' || !/^[\w-]{20,100}$/.test(token)) return undefined
      const id = await ctx.accounts.readToken(hashLinkToken(token), purpose, now(), spend)
      const a = id === undefined ? undefined : await ctx.accounts.findById(id)
      return a && a.disabled_at === null ? a : undefined
    }

    app.get<{ Querystring: { token?: string } }>(url, { config: { adminPublic: true } }, async (req, reply) => {
      const a = await accountFor(req.query.token, false)
      if (a) return linkPage(reply, a, req.query.token!)
      await ctx.audit.record('someone with a link', 'sign-in failed', undefined, `${purpose} link used, expired or unknown`)
      return dead(reply)
    })

    app.post<{ Body: { token?: unknown, password?: unknown } }>(url, {
      config: { adminPublic: true, rateLimit: { max: 10, timeWindow: 15 * 60 * 1000 } },
    }, async (req, reply) => {
      const token = req.body?.token
      const a = await accountFor(token, false)
      if (!a) {
        await ctx.audit.record('someone with a link', 'sign-in failed', undefined, `${purpose} link used, expired or unknown`)
        return dead(reply)
      }
      const password = typeof req.body?.password === 'string' ? req.body.password : ''
      const problem = passwordProblem(password, a)
      if (problem) return linkPage(reply, a, token as string, problem)
      if ((await accountFor(token, true))?.id !== a.id) return dead(reply) // spent meanwhile
      await ctx.accounts.setPassword(a.id, await hashPassword(password), now())
      await ctx.audit.record(actorOf(a), 'password set', a.email, purpose === 'invitation' ? 'invitation taken up' : 'reset link')
      await req.session.regenerate()
      if (a.totp_enabled_at !== null) {
        // A new password is not a second factor: the code from the app is still asked for.
        req.session.pending = { accountId: a.id, at: now() }
        return seeOther(reply, CODE_PATH)
      }
      req.session.accountId = a.id
      req.session.signedInAt = now()
      await ctx.accounts.recordSignIn(a.id, now())
      await ctx.audit.record(actorOf(a), 'sign-in', undefined, purpose)
      flash(req, 'success', purpose === 'invitation' ? `Welcome, ${a.name}. Your account is ready.` : 'Your new password is set.')
      return seeOther(reply, '/admin')
    })
  }
}
