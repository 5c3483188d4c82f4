/**
 * The words of every staff alert: a subject and a plain-text body, and the same as simple HTML. Made
 * when the email is sent, from the alert (a reference, a form, a CRM) and the counts at that moment.
 *
 * Never personal data: no name, answer, contact detail, nor the CRM's reason for a failure (a CRM can
 * echo an answer back in it). An email can be read by anyone with the inbox, a forward, a phone's lock
 * screen; the staff pages, behind a sign-in, show the rest.
 */
import type { DestinationType } from '../crm/types.js'
import type { FormDefinition } from '../forms/schema.js'
import { texts, type Language } from '../forms/texts.js'
import { DELIVERY_STATES, type DeliveryState } from '../outbox/delivery-state.js'
import type { Alert, CrmIncident } from '../storage/types.js'
import { ukDate } from './uk-time.js'

/** What the words are made from, read when the email is sent. */
export interface MessageFacts {
  publicUrl: string
  now: number
  formTitle (id: string): string | undefined
  waitingFor (destination: DestinationType): Promise<number>
  quarantinedSince (since: number): Promise<number>
  counts (): Promise<Record<DeliveryState, number>>
  oldestWaiting (): Promise<number | undefined>
  incidents (): Promise<CrmIncident[]>
}

export interface Message { subject: string, text: string, html: string }

const CRM: Record<DestinationType, string> = { charitylog: 'Charitylog', lamplight: 'Lamplight' }
const crmName = (d: string | null) => (d === 'charitylog' || d === 'lamplight' ? CRM[d] : 'the CRM')

const STATE_WORDS: Record<DeliveryState, string> = {
  waiting: 'waiting to be sent',
  held: 'held (a CRM setting needs fixing)',
  delivered: 'delivered',
  failed: 'failed (need staff)',
  partly_delivered: 'partly delivered (need staff)',
  handled: 'handled by hand',
  quarantined: 'kept back as probable spam',
}

const FOOTER = 'This email has no names, answers or contact details in it, on purpose: sign in to the staff pages to see the referral.'

/** A paragraph, a link or a list: the parts a message is made of, written once for both text and HTML. */
type Part = { p: string } | { link: string, label: string } | { list: string[] }

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c]!)

/** `footer`: null for none (the visitor's own email, a test). */
function render (subject: string, parts: Part[], lang: Language = 'en', footer: string | null = FOOTER): Message {
  const all = footer === null ? parts : [...parts, { p: footer }]
  const text = all.map((x) => ('p' in x ? x.p : 'link' in x ? `${x.label}:\n${x.link}` : x.list.map((l) => `- ${l}`).join('\n'))).join('\n\n')
  const body = all.map((x) => ('p' in x
    ? `<p>${escapeHtml(x.p)}</p>`
    : 'link' in x
      ? `<p><a href="${escapeHtml(x.link)}">${escapeHtml(x.label)}</a></p>`
      : `<ul>${x.list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`)).join('\n')
  const html = `<!DOCTYPE html>\n<html lang="${lang}">\n<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; max-width: 40em">\n${body}\n</body>\n</html>\n`
  return { subject, text: `${text}\n`, html }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** "3 hours", "2 days": how long ago, roughly, in words. */
export function age (ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000))
  if (minutes < 60) return plural(minutes, 'minute')
  const hours = Math.round(minutes / 60)
  if (hours < 48) return plural(hours, 'hour')
  return plural(Math.round(hours / 24), 'day')
}

const ukClock = (t: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'long' }).format(t)
const ukDay = (t: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(t)

export async function compose (a: Alert, f: MessageFacts): Promise<Message> {
  const staff = `${f.publicUrl}/admin`
  const form = a.form_id === null ? '' : `${f.formTitle(a.form_id) ?? a.form_id} (${a.form_id})`
  const crm = crmName(a.destination)
  const referral = (): Part[] => [{ list: [`Reference: ${a.reference ?? ''}`, `Form: ${form}`, `CRM: ${crm}`] }, { link: `${staff}/deliveries/${a.reference ?? ''}`, label: 'Open the referral on the staff pages' }]
  switch (a.kind) {
    case 'failed':
      return render(`Referral ${a.reference} needs staff: it could not be delivered to ${crm}`, [
        { p: `A referral could not be delivered to ${crm}, and it will not be tried again on its own.` },
        ...referral(),
        { p: `On the staff pages you can see why, send it again, or mark it handled once it is entered in ${crm} by hand.` },
      ])
    case 'partly_delivered':
      return render(`Referral ${a.reference} needs staff: only part of it reached ${crm}`, [
        { p: `${crm} saved the person's details but not all of the referral. Someone needs to finish it in ${crm}.` },
        ...referral(),
        { p: 'On the staff pages you can see what is missing, and mark it handled once it is finished.' },
      ])
    case 'incident': {
      const waiting = await f.waitingFor(a.destination as DestinationType)
      const since = ukClock(a.created_at)
      const count = `${plural(waiting, 'referral')} waiting`
      const [subject, what, fix] = a.detail === 'missing'
        ? [`${crm} has no API keys set: ${count}`, `${crm}'s API keys are not set on the server, so referrals for ${crm} are being held (since ${since}).`,
            'Whoever runs the server needs to set them (README: Configuration) and restart it; the held referrals are then sent.']
        : a.detail === 'keys'
          ? [`${crm} is refusing our key: ${count}`, `${crm} refused the server's API keys (since ${since}), so referrals for ${crm} are being held.`,
              `Check the keys in ${crm} and on the server (the staff pages' Connections page tests them). Once they work, restart the server or send the held referrals again from the staff pages.`]
          : [`${crm} is not answering: ${count}`, `The server has not been able to reach ${crm} since ${since}. Referrals are kept safe and tried again on their own.`,
              'Nothing needs doing unless it goes on: you will get one email when deliveries work again, and the daily summary counts what is waiting.']
      return render(subject, [{ p: what }, { p: fix }, { p: 'This is one email for the whole problem, not one for each referral.' },
        { link: `${staff}/deliveries?state=${a.detail === 'down' ? 'waiting' : 'held'}`, label: 'See the referrals waiting' }])
    }
    case 'recovered': {
      const waiting = await f.waitingFor(a.destination as DestinationType)
      return render(`${crm} is working again`, [
        { p: `A referral was delivered to ${crm} on ${ukClock(a.created_at)}: the problem reported earlier is over.` },
        { p: waiting === 0 ? `No referral for ${crm} is waiting.` : `${plural(waiting, 'referral')} for ${crm} ${waiting === 1 ? 'is' : 'are'} still to be sent${a.detail === 'down' ? ': they go on their own' : ''}.` },
        ...(a.detail === 'down' ? [] : [{ p: 'Referrals held while the keys did not work are sent after a restart, or from the staff pages (Send again).' }]),
        { link: `${staff}/deliveries`, label: 'See the deliveries' },
      ])
    }
    case 'quarantined': {
      const n = Math.max(1, await f.quarantinedSince(a.created_at))
      return render(`${plural(n, 'referral')} kept back as probable spam`, [
        { p: `Since ${ukClock(a.created_at)}, ${plural(n, 'referral was', 'referrals were')} kept back as probable spam (a hidden field was filled in, or the form was sent faster than a person types). They are not sent to the CRM.` },
        { p: 'Please look at them: release any that are genuine, delete the rest. You get at most one of these emails an hour.' },
        { link: `${staff}/deliveries?state=quarantined`, label: 'See the referrals kept back' },
      ])
    }
    case 'new_referral':
      return render(`New referral ${a.reference} from ${f.formTitle(a.form_id ?? '') ?? a.form_id}`, [
        { p: 'A new referral arrived. It is on its way to the CRM.' },
        ...referral(),
      ])
    case 'digest': {
      const counts = await f.counts()
      const needing = counts.failed + counts.partly_delivered + counts.held
      const oldest = await f.oldestWaiting()
      const incidents = await f.incidents()
      const problems = [
        ...incidents.map((i) => `${crmName(i.destination)} ${i.kind === 'keys' ? 'is refusing our keys, or they are not set' : 'is not answering'} (since ${ukClock(i.opened_at)})`),
        ...(counts.failed > 0 ? [`${plural(counts.failed, 'referral')} failed`] : []),
        ...(counts.partly_delivered > 0 ? [`${plural(counts.partly_delivered, 'referral')} partly delivered`] : []),
        ...(counts.held > 0 ? [`${plural(counts.held, 'referral')} held`] : []),
        ...(counts.quarantined > 0 ? [`${plural(counts.quarantined, 'referral')} kept back as probable spam`] : []),
      ]
      const day = ukDay(f.now)
      return render(problems.length === 0 ? `Daily summary, ${day}: all is well` : `Daily summary, ${day}: ${plural(problems.length, 'thing')} for staff`, [
        { p: problems.length === 0 ? 'Nothing needs staff today.' : `Needs staff (${plural(needing, 'referral')}${incidents.length > 0 ? `, ${plural(incidents.length, 'CRM problem')}` : ''}):` },
        ...(problems.length > 0 ? [{ list: problems }] : []),
        { p: 'All referrals kept on the server, by state:' },
        { list: DELIVERY_STATES.map((s) => `${STATE_WORDS[s]}: ${counts[s]}`) },
        { p: oldest === undefined ? 'No referral is waiting to be sent.' : `The oldest referral still to be sent was made ${age(f.now - oldest)} ago.` },
        { p: 'This summary comes every day, even when all is well: if it stops coming, the server may be down.' },
        { link: `${staff}/deliveries`, label: 'Open the staff pages' },
      ])
    }
    case 'test':
      return render('Test email from the referral forms', [
        { p: `This is a test email, sent from the staff pages on ${ukDay(a.created_at)}. Email alerts from the referral forms server reach this address.` },
        { link: `${staff}/alerts`, label: 'Email alerts on the staff pages' },
      ], 'en', null)
    case 'confirmation':
      throw new Error('A visitor\'s confirmation is made by composeConfirmation')
    default: {
      const unexpected: never = a.kind
      throw new Error(`Unexpected alert kind: ${String(unexpected)}`)
    }
  }
}

/**
 * The visitor's confirmation email, in the form's language: who has the referral, its reference and
 * what happens next (the form's confirmation text). Never the answers: the visitor's inbox may be read
 * by someone else (the form says so where they ask for it).
 */
export function composeConfirmation (reference: string, form: Pick<FormDefinition, 'title' | 'language' | 'confirmation'>, charityName: string | undefined): Message {
  const t = texts[form.language ?? 'en']
  const next = form.confirmation?.body ?? t.confirmEmail.next
  return render(t.confirmEmail.subject(reference), t.confirmEmail.body({ charity: charityName, form: form.title, reference, next }).map((p) => ({ p })), t.lang, null)
}

/** The digest's key: one a day (UK date), whichever server makes it first. */
export const digestKey = (t: number) => `digest:${ukDate(t)}`
