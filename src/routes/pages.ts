/** Kind pages for what went wrong: not found, too large, too many, or our fault. Never JSON to a visitor. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Contact } from '../config.js'
import { texts, type Language } from '../forms/texts.js'
import { isUnavailable } from '../storage/index.js'

/** A way to reach the charity, as the message page lists it: `Telephone: <a href="tel:…">…</a>`. */
interface ContactLine { label: string, href: string, text: string }

export function renderMessage (reply: FastifyReply, status: number, heading: string, paragraphs: string[], lang: Language = 'en', contact?: { intro: string, lines: ContactLine[] }) {
  return reply.code(status).header('cache-control', 'no-store').view('message', { lang, pageTitle: heading, heading, paragraphs, contact, link: { href: '/', text: lang === 'cy' ? 'Pob ffurflen' : 'All forms' } })
}

export function renderNotFound (reply: FastifyReply, lang: Language = 'en') {
  const t = texts[lang]
  return renderMessage(reply, 404, t.notFoundTitle, [t.notFoundBody], lang)
}

/** A form whose file is broken: it exists, but cannot be shown (503, so a monitor notices; never "not found"). */
export function renderUnavailable (reply: FastifyReply, lang: Language = 'en', contact: Contact = { phone: undefined, email: undefined }) {
  const t = texts[lang]
  const lines: ContactLine[] = []
  if (contact.phone) lines.push({ label: t.contactPhone, href: `tel:${contact.phone.replace(/[^+0-9]/g, '')}`, text: contact.phone })
  if (contact.email) lines.push({ label: t.contactEmail, href: `mailto:${contact.email}`, text: contact.email })
  return renderMessage(reply.header('retry-after', '3600'), 503, t.unavailableTitle, [t.unavailableBody], lang, lines.length > 0 ? { intro: t.contactIntro, lines } : undefined)
}

/** Plain words for the statuses a client can cause; anything else is a server fault (500). */
export const CLIENT_ERROR_PAGES: Record<number, { heading: string, body: string }> = {
  400: { heading: 'Sorry, we could not read that', body: 'Something went wrong sending the form. Go back, check your answers and send it again.' },
  413: { heading: 'That was too much to send at once', body: 'Your answers are longer than this form can take. Go back, shorten your longest answers and send the form again.' },
  415: { heading: 'Sorry, we could not read that', body: 'The form was sent in a way we do not understand. Go back and send it again from the form page.' },
  429: { heading: 'Please wait a moment', body: 'There have been a lot of attempts from your connection. Wait a minute, then try again.' },
}

/** A 429 error, as every rate limit of the app builds it: `retryAfter` in seconds, for the header. */
export interface TooManyRequests extends Error { statusCode: 429, retryAfter: string }

export function tooManyRequests (ttlMs: number): TooManyRequests {
  return Object.assign(new Error('Too many requests'), { statusCode: 429 as const, retryAfter: String(Math.ceil(ttlMs / 1000)) })
}

/**
 * The public site's one error handler: a client's mistake gets its kind page (with Retry-After for a
 * 429), anything else is our fault, logged with the request, and a 500 page that says nothing was sent.
 */
export function errorPage (err: FastifyError & { retryAfter?: string }, req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode ?? 500
  const page = CLIENT_ERROR_PAGES[status] ?? (status >= 400 && status < 500 ? CLIENT_ERROR_PAGES[400] : undefined)
  if (page && status < 500) {
    req.log.info({ status, code: err.code }, 'Request refused')
    if (err.retryAfter) reply.header('retry-after', err.retryAfter)
    return renderMessage(reply, status, page.heading, [page.body])
  }
  if (isUnavailable(err)) {
    req.log.error({ url: req.url.split('?')[0] }, 'The database did not answer: the page was not shown (try again in a minute)')
    return renderMessage(reply.header('retry-after', '60'), 503, 'Sorry, this is not available just now', [
      'We cannot reach our records for a moment. Nothing you sent has been lost. Please wait a minute, then try again.',
    ])
  }
  req.log.error({ err }, 'Unexpected error')
  return renderMessage(reply, 500, 'Sorry, something went wrong', [
    'There is a problem on our side. Your answers have not been sent. Please go back and try again in a few minutes.',
  ])
}
