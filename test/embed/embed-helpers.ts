/**
 * Shared by the issue-4 tests (test/embed): the embeddable fixture forms, valid answers to them, a clock
 * the test moves, and readers of what a form page carries (its token, kept answers, notice).
 */
import path from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { form, FORM_HEADERS } from '../helpers/app.js'
import { sqliteOf } from '../helpers/sqlite.js'
import { attrs, controls, tags } from '../helpers/html-fragments.js'

export type Pairs = Array<[string, string]>

/** `embeddable` (two allowed origins, quick_exit) and `not-embeddable` (no embed section). */
export const EMBED_FORMS = path.resolve(import.meta.dirname, '../fixtures/forms-embed')
export const ALLOWED_ORIGINS = ['https://www.example-charity.org.uk', 'https://help.example.org']

/** The smallest valid answers to `embeddable` (no family members). */
export const VALID: Pairs = [
  ['you[0][_]', '1'], ['you[0][first_name]', 'Alice'], ['you[0][surname]', 'Smith'], ['reason', 'We need help.'],
]
export const VALID_PLAIN: Pairs = [['you[0][_]', '1'], ['you[0][first_name]', 'Bob'], ['reason', 'Please call me.']]

export const START = Date.parse('2026-06-15T12:00:00Z')

/** A clock the test moves: `clock.set(ms)`, `clock.advance(ms)`. */
export function movableClock (start = START) {
  let at = start
  return {
    now: () => new Date(at),
    set (ms: number) { at = ms },
    advance (ms: number) { at += ms },
  }
}

/** The `_token` hidden input of a form page; throws when there is none. */
export function tokenIn (html: string): string {
  const input = tags(html, 'input').map(attrs).find((a) => a.name === '_token')
  if (!input?.value) throw new Error('no _token input in the page')
  return input.value
}

/** The value a text input or textarea shows back. */
export function shownValue (html: string, name: string): string | undefined {
  const c = controls(html, name)[0]
  if (!c) return undefined
  if (c.tag === 'textarea') {
    const m = new RegExp(`<textarea\\b[^>]*\\bname="${name.replace(/[[\]]/g, '\\$&')}"[^>]*>([^<]*)</textarea>`).exec(html)
    return m?.[1]
  }
  return c.value
}

/** The one-line notice above the form, or undefined. */
export function notice (html: string): string | undefined {
  return /<div class="notice" role="status">([^<]*)<\/div>/.exec(html)?.[1]
}

/** How many referrals the database holds (any state). */
export function rowCount (app: FastifyInstance): number {
  return (sqliteOf(app).prepare('SELECT count(*) AS n FROM submissions').get() as { n: number }).n
}

/** Inline scripts (no src) in a page: there must be none, the CSP forbids them. */
export function inlineScripts (html: string): string[] {
  return tags(html, 'script').filter((t) => !/\ssrc="/.test(t))
}

export interface PostOptions {
  url?: string
  headers?: Record<string, string>
  remoteAddress?: string
}

/** POSTs pairs to a form (no token added: the test decides). */
export function postPairs (app: FastifyInstance, id: string, pairs: Pairs, o: PostOptions = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: o.url ?? `/forms/${id}`,
    headers: { ...FORM_HEADERS, ...o.headers },
    payload: form(pairs),
    ...(o.remoteAddress !== undefined && { remoteAddress: o.remoteAddress }),
  })
}
