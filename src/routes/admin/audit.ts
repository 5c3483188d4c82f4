/** The audit log: who did what when on the staff pages, newest first, 50 a page. */
import type { FastifyInstance } from 'fastify'
import { isoTime, ukTime } from '../../admin/format.js'
import { renderPage, type RouteOptions } from './render.js'

const PER_PAGE = 50

export default async function auditRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  app.get<{ Querystring: { page?: string } }>('/audit', async (req, reply) => {
    const total = await ctx.audit.count()
    const pages = Math.max(1, Math.ceil(total / PER_PAGE))
    const page = /^\d{1,6}$/.test(req.query.page ?? '') ? Math.min(pages, Math.max(1, Number(req.query.page))) : 1
    const entries = (await ctx.audit.list((page - 1) * PER_PAGE, PER_PAGE)).map((e) => ({ ...e, when: ukTime(e.at), iso: isoTime(e.at) }))
    return renderPage(reply, ctx, 'audit', {
      pageTitle: 'Audit log',
      section: 'audit',
      entries,
      total,
      page,
      pages,
      prev: page > 1 ? `/admin/audit?page=${page - 1}` : undefined,
      next: page < pages ? `/admin/audit?page=${page + 1}` : undefined,
    })
  })
}
