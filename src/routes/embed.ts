/**
 * `GET /embed.js`: the one-line embed for charity websites (public/embed.js, prefixed with our origin
 * and the forms' titles for the iframe's accessible name). Cached for five minutes with an ETag, so a
 * new version reaches embedders quickly without every page view costing a download. Served with
 * `Cross-Origin-Resource-Policy: cross-origin`: it is meant to be loaded by other sites.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { PUBLIC_DIR } from '../paths.js'

export default async function embedRoutes (app: FastifyInstance) {
  const source = readFileSync(path.join(PUBLIC_DIR, 'embed.js'), 'utf8')
  const origin = new URL(app.services.config.publicUrl).origin

  app.get('/embed.js', async (req, reply) => {
    const titles = Object.fromEntries(app.services.forms.list().map((f) => [f.definition.id, f.definition.title]))
    // JSON is valid JavaScript; escaping "<" keeps a title from closing a script element anywhere.
    // Wrapped, not global: another site's copy of this script on the same page keeps its own ORIGIN.
    const body = `(function (ORIGIN, TITLES) {\n${source}})(${JSON.stringify(origin)}, ${JSON.stringify(titles).replace(/</g, '\\u003c')});\n`
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      .header('cross-origin-resource-policy', 'cross-origin')
    if (req.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.send(body)
  })
}
