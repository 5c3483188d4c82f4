/**
 * The mail worker: sends the stored alerts, each at most once, and makes the daily digest. Runs in the
 * server process beside the delivery worker, never in a request.
 *
 * An alert is claimed on a lease, sent as one email to all its recipients, then recorded as sent. A mail
 * server that is down or slow is tried again with backoff (30 s, doubling, at most an hour apart) for as
 * long as it takes: nothing is lost, and a restart sends what was pending. A message the server refuses
 * for good (5xx) is dropped with the reason, for the staff page. The one window left is the process
 * dying after the mail server took the email and before "sent" was written: then it is sent again when
 * the lease ends (at least once, as the deliveries are).
 *
 * With several servers on one database each claims different alerts (FOR UPDATE SKIP LOCKED), and the
 * digest's key (one per UK date) lets only the first server make it.
 */
import type { MailConfig } from '../config.js'
import type { LoadedForm } from '../forms/load.js'
import type { Logger } from '../logger.js'
import { retryDelay } from '../outbox/backoff.js'
import { createPoller } from '../outbox/poller.js'
import type { Alert, Storage } from '../storage/types.js'
import { MailError, mailError, type Mailer } from './mailer.js'
import { compose, composeConfirmation, digestKey, type Message } from './messages.js'
import { recipientsFor } from './recipients.js'
import { ukDate, ukTimeOn } from './uk-time.js'

export interface AlertSenderOptions {
  storage: Pick<Storage, 'alerts' | 'deliveries' | 'accounts' | 'settings' | 'submissions'>
  mailer: Mailer
  mail: MailConfig
  publicUrl: string
  /** Named in the visitor's confirmation email (CHARITY_NAME). */
  charityName?: string | undefined
  forms: { get (id: string): LoadedForm | undefined }
  log: Logger
  now?: () => number
  /** Longest sleep between looks for alerts to send. */
  pollMs?: number
  leaseMs?: number
  /** First wait after a failed send; each later one doubles, capped at an hour. */
  retryBaseMs?: number
}

export interface AlertSender {
  start (): Promise<void>
  /** An alert may be due: look now rather than at the next poll. */
  wake (): void
  stop (): Promise<void>
  /** Resolves when nothing is due (for tests). */
  idle (): Promise<void>
}

/** Sent and dropped alerts are kept this long for the staff page, then deleted. */
export const ALERT_KEEP_MS = 90 * 24 * 60 * 60 * 1000
const PURGE_EVERY_MS = 60 * 60 * 1000
/** Where the server records that email alerts were off when it last started (alerts made then are not sent later). */
export const ALERTS_OFF_SETTING = 'alerts.off_since'

/** At a start without a mail server: alerts made until now will never be sent; say so on each. */
export async function alertsOff (storage: Pick<Storage, 'alerts' | 'settings'>, now: number): Promise<void> {
  await storage.alerts.dropBefore(now, now, 'Not sent: email alerts were off (no mail server set)')
  await storage.settings.set(ALERTS_OFF_SETTING, String(now))
}

export function createAlertSender (o: AlertSenderOptions): AlertSender {
  const now = o.now ?? Date.now
  const pollMs = o.pollMs ?? 5000
  const leaseMs = o.leaseMs ?? 2 * 60 * 1000
  const retryBaseMs = o.retryBaseMs ?? 30_000
  const { alerts, deliveries, accounts, settings, submissions } = o.storage
  let lastPurge = 0
  let failing = false
  let idleWaiters: Array<() => void> = []
  const poller = createPoller(pollMs, () => look(),
    (err, first) => { if (first) o.log.error({ err: (err as Error).message }, 'The mail worker could not read the alerts; trying again every few seconds') },
    () => o.log.info({}, 'The mail worker can read the alerts again'))
  const schedule = (delay: number) => poller.schedule(delay)

  /** The visitor's own confirmation: to the address they gave (opened only now), which is deleted once sent. */
  async function confirmation (a: Alert): Promise<{ to: string[], message: Message } | string> {
    const reference = a.reference ?? ''
    const address = await submissions.confirmationAddress(reference)
    if (address === undefined) return 'Not sent: the visitor\'s address was deleted first (with the referral\'s answers)'
    const form = a.form_id === null ? undefined : o.forms.get(a.form_id)?.definition
    if (!form) return 'Not sent: the form is no longer live'
    return { to: [address], message: composeConfirmation(reference, form, o.charityName) }
  }

  /** Sends one alert; false when the mail server could not take it now (stop for this round). */
  async function send (a: Alert): Promise<boolean> {
    if (a.kind === 'confirmation') {
      const made = await confirmation(a)
      if (typeof made === 'string') {
        await alerts.markFailed(a.id, now(), made, undefined)
        await submissions.forgetConfirmationAddress(a.reference ?? '')
        return true
      }
      return deliver(a, made.to, made.message)
    }
    const to = await recipientsFor(a, {
      alertEmails: o.mail.alertEmails,
      accounts,
      settings,
      teamEmail: (id) => o.forms.get(id)?.definition.alerts?.team_email,
    })
    if (to.length === 0) {
      await alerts.markFailed(a.id, now(), 'Not sent: nobody gets this kind of alert (ALERT_EMAILS, or an account\'s choice on My account)', undefined)
      return true
    }
    return deliver(a, to, await compose(a, {
      publicUrl: o.publicUrl,
      now: now(),
      formTitle: (id) => o.forms.get(id)?.definition.title,
      waitingFor: (d) => deliveries.waitingFor(d),
      quarantinedSince: (t) => deliveries.quarantinedSince(t),
      counts: () => deliveries.counts(),
      oldestWaiting: () => deliveries.oldestWaiting(),
      incidents: () => alerts.incidents(),
    }))
  }

  async function deliver (a: Alert, to: string[], message: Message): Promise<boolean> {
    // The visitor's address is needed only until their email is sent, or can never be.
    const done = () => (a.kind === 'confirmation' ? submissions.forgetConfirmationAddress(a.reference ?? '') : Promise.resolve())
    try {
      await o.mailer.send({ to, ...message })
    } catch (err) {
      const e = err instanceof MailError ? err : mailError(err)
      if (e.permanent) {
        o.log.error({ alert: a.id, kind: a.kind, reference: a.reference }, `Alert not sent: ${e.message}`)
        await alerts.markFailed(a.id, now(), e.message, undefined)
        await done()
        return true
      }
      // Said once per outage, not for every alert.
      if (!failing) o.log.error({ alert: a.id, kind: a.kind }, `Alerts cannot be sent: ${e.message}`)
      failing = true
      await alerts.markFailed(a.id, now(), e.message, now() + retryDelay(a.attempts + 1, retryBaseMs))
      return false
    }
    if (failing) o.log.info({}, 'Alerts can be sent again')
    failing = false
    await alerts.markSent(a.id, now())
    await done()
    o.log.info({ alert: a.id, kind: a.kind, reference: a.reference, recipients: to.length }, 'Alert sent')
    return true
  }

  async function look () {
    const t = now()
    // Today's digest, once its time has come (one a day, whichever server is first).
    const digest = o.mail.digestTime
    if (digest && t >= ukTimeOn(ukDate(t), digest.hour, digest.minute)) await alerts.add({ key: digestKey(t), kind: 'digest', at: t })
    if (t - lastPurge >= PURGE_EVERY_MS) {
      lastPurge = t
      await alerts.purge(t - ALERT_KEEP_MS)
    }
    for (;;) {
      if (!poller.running) return
      const [a] = await alerts.claimDue(now(), leaseMs, 1)
      if (!a) break
      if (!(await send(a))) break
    }
    const next = await alerts.nextDueAt()
    const nextDigest = digest ? ukTimeOn(ukDate(now() + 24 * 60 * 60 * 1000), digest.hour, digest.minute) : Infinity
    if (next === undefined || next > now()) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    }
    schedule(Math.min(next === undefined ? pollMs : next - now(), nextDigest - now()))
  }

  return {
    async start () {
      if (poller.running) return
      poller.start()
      // Alerts made while email was off (the last start had no mail server) are not sent now, days late.
      const off = await settings.get(ALERTS_OFF_SETTING)
      if (off !== undefined && off !== '') {
        await alerts.dropBefore(now(), now(), 'Not sent: email alerts were off (no mail server set)')
        await settings.set(ALERTS_OFF_SETTING, '')
      }
      // A restart sends what was pending at once, not at the end of its backoff (the mail server may just have been fixed).
      const pending = await alerts.retryNow(now())
      if (pending > 0) o.log.info({ count: pending }, `Trying ${pending} unsent alert(s) again`)
      schedule(0)
    },
    wake () {
      schedule(0)
    },
    async stop () {
      poller.stop()
      await poller.current
      o.mailer.close()
      for (const w of idleWaiters) w()
      idleWaiters = []
    },
    idle () {
      return new Promise((resolve) => {
        idleWaiters.push(resolve)
        schedule(0)
      })
    },
  }
}
