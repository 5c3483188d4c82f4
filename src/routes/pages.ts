/** Kind pages for what went wrong: not found, too large, too many, or our fault. Never JSON to a visitor. */
import type { FastifyReply } from 'fastify'
import { texts, type Language } from '../forms/texts.js'

export function renderMessage (reply: FastifyReply, status: number, heading: string, paragraphs: string[], lang: Language = 'en') {
  return reply.code(status).header('cache-control', 'no-store').view('message', { lang, pageTitle: heading, heading, paragraphs, link: { href: '/', text: lang === 'cy' ? 'Pob ffurflen' : 'All forms' } })
}

export function renderNotFound (reply: FastifyReply, lang: Language = 'en') {
  const t = texts[lang]
  return renderMessage(reply, 404, t.notFoundTitle, [t.notFoundBody], lang)
}

/** Plain words for the statuses a client can cause; anything else is a server fault (500). */
export const CLIENT_ERROR_PAGES: Record<number, { heading: string, body: string }> = {
  400: { heading: 'Sorry, we could not read that', body: 'Something went wrong sending the form. Go back, check your answers and send it again.' },
  413: { heading: 'That was too much to send at once', body: 'Your answers are longer than this form can take. Go back, shorten your longest answers and send the form again.' },
  415: { heading: 'Sorry, we could not read that', body: 'The form was sent in a way we do not understand. Go back and send it again from the form page.' },
  429: { heading: 'Please wait a moment', body: 'There have been a lot of attempts from your connection. Wait a minute, then try again.' },
}
