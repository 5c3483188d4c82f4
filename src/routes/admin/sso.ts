/**
 * Single sign-on routes: "Sign in with …" starts the flow at the provider; the provider sends the
 * browser back to the callback, where the answer is checked (state, nonce, PKCE: src/admin/sso.ts) and
 * matched to an account: by the provider's own subject id once linked, else by a verified email of an
 * invited or existing account, else (for an email of OIDC_ALLOWED_DOMAINS) a new Caseworker account.
 * Every refusal says what happened, changes nothing and is in the audit log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf, homeOf } from '../../admin/roles.js'
import { createSso, type SsoFlow } from '../../admin/sso.js'
import type { Account } from '../../storage/index.js'
import { renderMessage, renderPage, type RouteOptions } from './render.js'
import { isOwnPage } from './sign-in.js'

const FLOW_COOKIE = 'rf_sso'
const FLOW_PATH = '/admin/sso'
/** How long the trip to the provider and back may take. */
const FLOW_TTL_MS = 10 * 60 * 1000

export default async function ssoRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const settings = ctx.config.sso
  if (!settings) return
  const sso = createSso(settings, ctx.config.publicUrl)
  const now = () => app.services.now().getTime()

  const refuse = async (req: FastifyRequest, reply: FastifyReply, why: string, detail: string, status = 400) => {
    reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH })
    await ctx.audit.record(`someone signing in with ${sso.label}`, 'sign-in failed', undefined, detail)
    req.log.info({ detail }, 'Single sign-on refused')
    return renderMessage(reply, ctx, status, 'That sign-in did not work', [why, 'Start again from the sign-in page.'])
  }

  app.get<{ Querystring: { return?: string } }>('/sso/start', { config: { adminPublic: true } }, async (req, reply) => {
    let started
    try {
      started = await sso.start(isOwnPage(req.query.return) ? req.query.return : undefined, now())
    } catch (err) {
      req.log.error({ err: (err as Error).message }, 'The single sign-on provider could not be reached')
      return renderMessage(reply, ctx, 503, `${sso.label} cannot be reached`, [
        'The sign-in provider did not answer. Try again in a few minutes; if it goes on, check OIDC_ISSUER.',
      ])
    }
    // Lax, not Strict: the provider sends the browser back from its own site.
    reply.setCookie(FLOW_COOKIE, JSON.stringify(started.flow), {
      path: FLOW_PATH, httpOnly: true, sameSite: 'lax', secure: ctx.config.publicUrl.startsWith('https:'), signed: true, maxAge: FLOW_TTL_MS / 1000,
    })
    return reply.code(303).header('location', started.url).send()
  })

  /** The account this identity may sign in as, or why not. */
  async function accountFor (id: { issuer: string, subject: string, email: string | undefined, emailVerified: boolean, name: string | undefined }): Promise<Account | string> {
    const linked = await ctx.accounts.findBySsoSubject(id.issuer, id.subject)
    if (linked) return linked
    if (!id.email || !id.emailVerified) return 'unverified email'
    const byEmail = await ctx.accounts.findByEmail(id.email)
    if (byEmail) {
      await ctx.accounts.linkSso(byEmail.id, id.issuer, id.subject, now())
      return (await ctx.accounts.findById(byEmail.id))!
    }
    const domain = id.email.split('@')[1] ?? ''
    if (!sso.allowedDomains.includes(domain)) return 'no account'
    const made = await ctx.accounts.create({ email: id.email, name: id.name ?? id.email, role: 'caseworker', now: now() })
    if (!made) return 'no account'
    await ctx.accounts.linkSso(made.id, id.issuer, id.subject, now())
    await ctx.audit.record(actorOf(made), 'account invited', made.email, `Caseworker, by signing in with ${sso.label} (an allowed domain)`)
    return (await ctx.accounts.findById(made.id))!
  }

  app.get('/sso/callback', { config: { adminPublic: true } }, async (req, reply) => {
    const cookie = req.cookies[FLOW_COOKIE]
    const unsigned = cookie ? req.unsignCookie(cookie) : undefined
    let flow: SsoFlow | undefined
    try {
      flow = unsigned?.valid && unsigned.value ? JSON.parse(unsigned.value) as SsoFlow : undefined
    } catch {
      flow = undefined
    }
    if (!flow || now() - flow.at > FLOW_TTL_MS) return refuse(req, reply, 'The sign-in took too long, or did not start here.', 'no sign-in under way')
    let id
    try {
      id = await sso.finish(new URL(req.url, ctx.config.publicUrl), flow)
    } catch (err) {
      return refuse(req, reply, `${sso.label} did not confirm who you are.`, `the provider's answer did not check out (${(err as { code?: string }).code ?? 'error'})`)
    }
    const account = await accountFor(id)
    if (typeof account === 'string') {
      return refuse(req, reply, account === 'unverified email'
        ? `${sso.label} did not give a verified email address for you.`
        : `There is no staff account for ${id.email}. Ask an admin to invite you.`, account, 403)
    }
    if (account.disabled_at !== null) return refuse(req, reply, 'This account has been disabled.', 'disabled account', 403)
    await req.session.regenerate()
    req.session.accountId = account.id
    req.session.signedInAt = now()
    reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH })
    await ctx.accounts.recordSignIn(account.id, now())
    await ctx.audit.record(actorOf(account), 'sign-in', undefined, `with ${sso.label}`)
    req.log.info({ account: account.id }, 'Staff signed in with single sign-on')
    // A page of ours, not a redirect: the session cookie is SameSite=Strict, and a browser does not
    // send it on the last step of a redirect chain that began on the provider's site.
    const next = isOwnPage(flow.returnTo) ? flow.returnTo : homeOf(account.role)
    return renderPage(reply, ctx, 'signed-in', { pageTitle: 'Signed in', next, refreshTo: next })
  })
}
