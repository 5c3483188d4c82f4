/**
 * Eta templates through @fastify/view, compiled once and cached, escaping by default.
 *
 * `production: true` is what makes the cache real: without it @fastify/view reconfigures Eta with
 * `cache: false` before every render (unless NODE_ENV=production), so each page re-read and re-compiled
 * its dozen template files, most of a GET's time (docs/performance.md). Editing a template therefore
 * needs a restart, as editing code does.
 * `assetVersion` (a hash of the CSS and JS) goes into asset URLs so a new release reaches browsers.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { PUBLIC_DIR, VIEWS_DIR } from '../paths.js'

export const assetVersion = createHash('sha256')
  .update(readFileSync(path.join(PUBLIC_DIR, 'app.css')))
  .update(readFileSync(path.join(PUBLIC_DIR, 'app.js')))
  .digest('hex').slice(0, 10)

export default fp(async function viewPlugin (app: FastifyInstance) {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: [false, 'nl'] })
  await app.register(view, { engine: { eta }, templates: VIEWS_DIR, production: true, defaultContext: { assetVersion } })
}, { name: 'view' })

declare module 'fastify' {
  interface FastifyReply {
    /** Merged into every template's data by @fastify/view (its types leave it out). */
    locals: Record<string, unknown> | null
  }
}
