/** Site settings (admins): who is asking on a form shown on its own, and the accessibility statement (src/admin/site.ts). */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { contrastWithWhite, HEX, imageType, LOGO_MAX_BYTES, type Site } from '../../admin/site.js'
import { actor, flash, renderPage, seeOther, type RouteOptions } from './render.js'

const text = (v: unknown) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : '')

export default async function siteSettingsRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const { site } = app.services
  const page = (reply: FastifyReply, values: Record<string, string>, errors: Array<{ id: string, message: string }> = []) => renderPage(reply, ctx, 'site', {
    pageTitle: `${errors.length > 0 ? 'Error: ' : ''}Site settings`, section: 'site', values, errors, logo: site.current().logo ? `/site-logo?v=${site.version()}` : undefined, err: Object.fromEntries(errors.map((e) => [e.id, e.message])),
  }, errors.length > 0 ? 422 : 200)

  /** The logo: a small PNG or JPEG, told apart by its first bytes; or none. */
  app.post<{ Body: Record<string, unknown> }>('/site/logo', { config: { permission: 'site' } }, async (req, reply) => {
    const s = site.current()
    const back = { name: s.name ?? '', accent: s.accent ?? '', compliance: s.statement.compliance, problems: s.statement.problems, contact: s.statement.contact, reviewed: s.statement.reviewed }
    if (req.body?.remove === 'yes') {
      await site.save({ ...s, logo: undefined })
      await ctx.audit.record(actor(req), 'setting changed', 'site settings', 'logo removed')
      flash(req, 'success', 'The logo is removed.')
      return seeOther(reply, '/admin/site')
    }
    const file = req.body?.logo
    const bytes = Buffer.isBuffer(file) ? file : undefined
    const type = bytes && imageType(bytes)
    if (!bytes || bytes.length === 0) return page(reply, back, [{ id: 'logo', message: 'Choose a PNG or JPEG file of your logo' }])
    if (bytes.length > LOGO_MAX_BYTES) return page(reply, back, [{ id: 'logo', message: `The logo must be smaller than ${LOGO_MAX_BYTES / 1024} KB` }])
    if (!type) return page(reply, back, [{ id: 'logo', message: 'The logo must be a PNG or a JPEG file' }])
    await site.save({ ...s, logo: { type, data: bytes.toString('base64') } })
    await ctx.audit.record(actor(req), 'setting changed', 'site settings', `logo (${type}, ${Math.ceil(bytes.length / 1024)} KB)`)
    flash(req, 'success', 'Saved. The logo shows beside your name on forms shown on their own.')
    return seeOther(reply, '/admin/site')
  })

  app.get('/site', { config: { permission: 'site' } }, async (_req, reply) => {
    const s = site.current()
    return page(reply, { name: s.name ?? '', accent: s.accent ?? '', compliance: s.statement.compliance, problems: s.statement.problems, contact: s.statement.contact, reviewed: s.statement.reviewed })
  })

  app.post<{ Body: Record<string, unknown> }>('/site', { config: { permission: 'site' } }, async (req, reply) => {
    const b = req.body ?? {}
    const values = {
      name: text(b.name),
      accent: text(b.accent).toLowerCase(),
      compliance: b.compliance === 'full' ? 'full' : 'partial',
      problems: text(b.problems),
      contact: text(b.contact),
      reviewed: text(b.reviewed),
    }
    const errors: Array<{ id: string, message: string }> = []
    if (values.name.length > 120 || /[<>]/.test(values.name)) errors.push({ id: 'name', message: 'Enter the charity’s name as visitors know it, at most 120 characters' })
    if (values.accent !== '' && !HEX.test(values.accent)) errors.push({ id: 'accent', message: 'Enter the colour as # and six hexadecimal digits, like #00574f' })
    else if (values.accent !== '' && contrastWithWhite(values.accent) < 4.5) {
      errors.push({ id: 'accent', message: `White text on ${values.accent} is too hard to read (contrast ${contrastWithWhite(values.accent).toFixed(1)}:1, at least 4.5:1 needed): choose a darker colour` })
    }
    if (values.reviewed !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(values.reviewed)) errors.push({ id: 'reviewed', message: 'Enter the date as year-month-day, like 2026-12-03' })
    if (errors.length > 0) return page(reply, values, errors)
    const next: Site = {
      name: values.name || undefined,
      accent: values.accent || undefined,
      logo: site.current().logo,
      statement: { compliance: values.compliance as 'full' | 'partial', problems: values.problems, contact: values.contact, reviewed: values.reviewed },
    }
    await site.save(next)
    await ctx.audit.record(actor(req), 'setting changed', 'site settings', [values.name || 'no name', values.accent || 'default colour'].join(', '))
    flash(req, 'success', 'Saved. Forms shown on their own (not in an iframe) show it now.')
    return seeOther(reply, '/admin/site')
  })
}
