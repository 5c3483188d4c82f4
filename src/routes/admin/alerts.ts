/**
 * Email alerts, on the staff pages. Admins: whether alerts are on (and if not, what to set), the open
 * CRM incidents, what was sent lately and what was not (and why), and "Send a test email". Everyone:
 * which alerts they get, on their own account page (POST /admin/account/alerts).
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { TOPIC_LABELS, TOPICS, isTopic } from '../../alerts/kinds.js'
import { chooseTopics } from '../../alerts/recipients.js'
import { actorOf } from '../../admin/roles.js'
import { ukTime } from '../../admin/format.js'
import type { Alert, AlertKind } from '../../storage/index.js'
import { actor, flash, renderPage, seeOther, type RouteOptions } from './render.js'

const KIND_LABELS: Record<AlertKind, string> = {
  failed: 'Referral failed',
  partly_delivered: 'Referral partly delivered',
  incident: 'CRM problem',
  recovered: 'CRM working again',
  quarantined: 'Probable spam',
  new_referral: 'New referral',
  digest: 'Daily summary',
  test: 'Test email',
  confirmation: 'Visitor\'s confirmation',
}

const CRM_NAMES: Record<string, string> = { charitylog: 'Charitylog', lamplight: 'Lamplight' }

function stateOf (a: Alert): { tag: string, text: string } {
  if (a.sent_at !== null) return { tag: 'delivered', text: `Sent ${ukTime(a.sent_at)}` }
  if (a.dropped_at !== null) return { tag: 'failed', text: a.last_error ?? 'Not sent' }
  if (a.attempts > 0) return { tag: 'held', text: `Not sent yet (${a.attempts} tries): ${a.last_error ?? ''}` }
  return { tag: 'waiting', text: 'Waiting to be sent' }
}

const PAGE_SIZE = 50
const email = z.email()

export default async function alertRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { config, storage, mail, now } = app.services

  const page = async (req: FastifyRequest, o: { error?: string, to?: string } = {}) => {
    const list = await storage.alerts.list(0, PAGE_SIZE)
    const m = config.mail
    return {
      pageTitle: `${o.error ? 'Error: ' : ''}Email alerts`,
      section: 'alerts' as const,
      on: m !== undefined,
      sending: mail.sender !== undefined,
      server: m && `${m.smtp.host}:${m.smtp.port} (${m.smtp.tls === 'tls' ? 'TLS' : m.smtp.tls === 'starttls' ? 'STARTTLS' : 'no encryption: this machine only'})${m.smtp.user ? ', signing in' : ''}`,
      from: m?.from,
      alertEmails: m?.alertEmails ?? [],
      digest: m && (m.digestTime ? `${String(m.digestTime.hour).padStart(2, '0')}:${String(m.digestTime.minute).padStart(2, '0')} UK time` : 'Off (DIGEST_TIME=off): nothing tells you if the server stops'),
      incidents: (await storage.alerts.incidents()).map((i) => ({
        crm: CRM_NAMES[i.destination] ?? i.destination,
        what: i.kind === 'keys' ? 'refuses our API keys, or they are not set' : 'is not answering',
        since: ukTime(i.opened_at),
      })),
      alerts: list.map((a) => ({
        when: ukTime(a.created_at),
        kind: KIND_LABELS[a.kind],
        reference: a.reference,
        about: a.form_id ?? (a.destination ? CRM_NAMES[a.destination] : a.kind === 'test' ? a.detail : ''),
        state: stateOf(a),
      })),
      total: await storage.alerts.count(),
      to: o.to ?? req.staff?.account?.email ?? '',
      error: o.error,
      errors: o.error ? [{ id: 'to', message: o.error }] : [],
    }
  }

  app.get('/alerts', { config: { permission: 'alerts' } }, async (req, reply) => {
    return renderPage(reply, ctx, 'alerts', await page(req))
  })

  app.post<{ Body: { to?: unknown } }>('/alerts/test', { config: { permission: 'alerts' } }, async (req, reply) => {
    if (!config.mail) return seeOther(reply, '/admin/alerts')
    const to = typeof req.body?.to === 'string' ? req.body.to.trim() : ''
    if (!email.safeParse(to).success) {
      return renderPage(reply, ctx, 'alerts', await page(req, { to, error: 'Enter an email address, like name@example-charity.org.uk' }), 422)
    }
    // Through the queue like every alert, so the test proves the whole way an alert goes.
    await storage.alerts.add({ key: `test:${randomUUID()}`, kind: 'test', detail: to.toLowerCase(), at: now().getTime() })
    mail.sender?.wake()
    await ctx.audit.record(actor(req), 'test email', to.toLowerCase())
    flash(req, 'success', `A test email to ${to} is on its way. This page shows when the mail server took it; if it does not arrive, look in the spam folder.`)
    return seeOther(reply, '/admin/alerts')
  })

  app.post<{ Body: { topics?: unknown } }>('/account/alerts', { config: { permission: 'self' } }, async (req, reply) => {
    const me = req.staff!.account
    if (!me) return seeOther(reply, '/admin/account')
    const given = req.body?.topics
    const chosen = (Array.isArray(given) ? given : given === undefined ? [] : [given]).filter(isTopic)
    const topics = TOPICS.filter((t) => chosen.includes(t))
    await chooseTopics(storage.settings, me.id, topics)
    await ctx.audit.record(actorOf(me), 'alerts chosen', me.email, topics.length === 0 ? 'none' : topics.map((t) => TOPIC_LABELS[t].label).join('; '))
    flash(req, 'success', topics.length === 0 ? 'You will get no email alerts.' : 'Your email alerts are saved.')
    return seeOther(reply, '/admin/account')
  })
}
