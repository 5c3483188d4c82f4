/**
 * Who is asking, site-wide (src/admin/site.ts): `/site.css`, the one rule with the charity's accent
 * colour (only ever a checked #rrggbb), and `/accessibility`, the accessibility statement staff complete
 * on the staff pages (Site settings).
 */
import type { FastifyInstance } from 'fastify'
import { darker } from '../admin/site.js'

export default async function siteRoutes (app: FastifyInstance) {
  const { site } = app.services
  app.get('/site.css', async (_req, reply) => {
    const accent = site.current().accent
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=60')
    return accent ? `:root{--accent:${accent};--accent-dark:${darker(accent)};--panel:${accent}}\n` : ''
  })
  app.get('/site-logo', async (_req, reply) => {
    const logo = site.current().logo
    if (!logo) return reply.callNotFound()
    return reply.type(logo.type).header('cache-control', 'public, max-age=60').send(Buffer.from(logo.data, 'base64'))
  })
  app.get('/accessibility', async (_req, reply) => {
    const s = site.current()
    return reply.view('accessibility', {
      lang: 'en',
      pageTitle: 'Accessibility statement',
      name: s.name ?? 'We',
      statement: s.statement,
      problems: s.statement.problems.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
      contactHref: s.statement.contact.includes('@') ? `mailto:${s.statement.contact}` : s.statement.contact ? `tel:${s.statement.contact.replace(/[^+0-9]/g, '')}` : undefined,
    })
  })
}
