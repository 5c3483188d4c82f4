/** The audit log: who did what when on the staff pages, newest first, 50 a page, by person; and as CSV. */
import type { FastifyInstance } from 'fastify'
import { isoTime, ukTime } from '../../admin/format.js'
import { renderPage, type RouteOptions } from './render.js'

const PER_PAGE = 50
/** Rows in one CSV export: years of a charity's staff work. */
const CSV_MAX = 100_000

/** One CSV field, quoted; a leading =, +, - or @ is defused so a spreadsheet never runs it as a formula. */
const csv = (v: string | number | null) => {
  const s = v === null ? '' : String(v)
  return `"${(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`
}

export default async function auditRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const who = async (q: unknown) => (typeof q === 'string' && q !== '' && (await ctx.audit.actors()).includes(q) ? q : undefined)

  app.get<{ Querystring: { page?: string, who?: string } }>('/audit', { config: { permission: 'audit' } }, async (req, reply) => {
    const actor = await who(req.query.who)
    const total = await ctx.audit.count(actor)
    const pages = Math.max(1, Math.ceil(total / PER_PAGE))
    const page = /^\d{1,6}$/.test(req.query.page ?? '') ? Math.min(pages, Math.max(1, Number(req.query.page))) : 1
    const entries = (await ctx.audit.list((page - 1) * PER_PAGE, PER_PAGE, actor)).map((e) => ({ ...e, when: ukTime(e.at), iso: isoTime(e.at) }))
    const link = (p: number) => `/admin/audit?${new URLSearchParams({ ...(actor && { who: actor }), page: String(p) })}`
    return renderPage(reply, ctx, 'audit', {
      pageTitle: 'Audit log',
      section: 'audit',
      entries,
      total,
      page,
      pages,
      people: (await ctx.audit.actors()).map((a) => ({ value: a, selected: a === actor })),
      actor,
      csvHref: `/admin/audit.csv${actor ? `?${new URLSearchParams({ who: actor })}` : ''}`,
      prev: page > 1 ? link(page - 1) : undefined,
      next: page < pages ? link(page + 1) : undefined,
    })
  })

  app.get<{ Querystring: { who?: string } }>('/audit.csv', { config: { permission: 'audit' } }, async (req, reply) => {
    const actor = await who(req.query.who)
    const rows = await ctx.audit.list(0, CSV_MAX, actor)
    const lines = [['when (UTC)', 'who', 'what', 'on', 'details'].map(csv).join(','),
      ...rows.map((e) => [isoTime(e.at), e.actor, e.action, e.subject, e.detail].map(csv).join(','))]
    return reply.header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit-log.csv"')
      .send(`${lines.join('\r\n')}\r\n`)
  })
}
