/**
 * A form's history: the versions that saves replaced, newest first; each can be viewed and restored.
 * A restore is a save like any other (checked against today's rules, atomic, the replaced text kept),
 * so an old version that no longer passes the check cannot go live.
 */
import type { FastifyInstance } from 'fastify'
import { FORM_ID_PATTERN, numberedLines } from '../../admin/form-editor.js'
import { ukTime } from '../../admin/format.js'
import { actor, flash, renderPage, seeOther, type RouteOptions } from './render.js'
import { renderEditor } from './forms.js'

interface VersionParams { id: string, version: string }

export default async function formHistoryRoutes (app: FastifyInstance, { ctx }: RouteOptions) {
  const versionOf = async (p: VersionParams) => /^\d{1,15}$/.test(p.version) ? ctx.editor.version(p.id, Number(p.version)) : undefined

  app.get<{ Params: { id: string } }>('/forms/:id/history', { config: { permission: 'forms' } }, async (req, reply) => {
    const { id } = req.params
    const file = await ctx.editor.read(id)
    if (!FORM_ID_PATTERN.test(id)) return reply.callNotFound()
    const history = await ctx.editor.history(id)
    if (!file && history.length === 0) return reply.callNotFound()
    const versions = history.map((v) => ({ ...v, replaced: ukTime(v.replaced_at) }))
    return renderPage(reply, ctx, 'form-history', { pageTitle: `History of ${id}.yaml`, section: 'forms', id, current: file?.hash, versions })
  })

  app.get<{ Params: VersionParams }>('/forms/:id/history/:version', { config: { permission: 'forms' } }, async (req, reply) => {
    const v = await versionOf(req.params)
    if (!v) return reply.callNotFound()
    return renderPage(reply, ctx, 'form-version', {
      pageTitle: `${v.form_id}.yaml as it was before ${ukTime(v.replaced_at)}`,
      section: 'forms',
      v,
      replaced: ukTime(v.replaced_at),
      lines: numberedLines(v.text, []),
      writable: await ctx.editor.writable(),
    })
  })

  app.post<{ Params: VersionParams }>('/forms/:id/history/:version/restore', { config: { permission: 'forms' } }, async (req, reply) => {
    const v = await versionOf(req.params)
    if (!v) return reply.callNotFound()
    const current = await ctx.editor.read(v.form_id)
    const result = await ctx.editor.save(v.form_id, v.text, current?.hash, actor(req))
    if (!result.ok) {
      const message = result.reason === 'invalid'
        ? 'This version no longer passes the checks, so it was not restored. Fix the problems below, then save.'
        : result.reason === 'read-only'
          ? 'The forms folder cannot be written, so this version was not restored. Download it and put it in the forms folder yourself.'
          : 'The form changed while restoring. Try again.'
      return renderEditor(reply, ctx, v.form_id, {
        text: v.text, base: current?.hash ?? '', isNew: !current, problems: result.reason === 'invalid' ? result.problems : [], message: { kind: 'warning', text: message },
      }, result.reason === 'invalid' ? 422 : 409)
    }
    if (!result.unchanged) await ctx.audit.record(actor(req), 'form restored', v.form_id, `version ${v.hash} (saved before ${ukTime(v.replaced_at)})`)
    flash(req, 'success', result.unchanged ? 'That version is the live one already.' : `Restored. The live form ${v.form_id} is the version from before ${ukTime(v.replaced_at)}.`)
    return seeOther(reply, `/admin/forms/${v.form_id}/edit`)
  })
}
