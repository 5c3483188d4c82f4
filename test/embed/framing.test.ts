/**
 * The framing policy per form (issue 4, item 2): a form's pages may be framed by exactly the origins
 * its file lists, through every page of it (form, 400/422, add/remove, confirmation); every other page
 * by nobody. A strict CSP everywhere, no inline script or style. `?embed=<origin>` is believed only for
 * an allowed origin. "Exit this page" where the form asks for it.
 */
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QUICK_EXIT_URL } from '../../src/forms/view-model.js'
import { buildTestApp, embeddableFormText, tempDir, type TestApp } from '../helpers/app.js'
import { attrs, tags } from '../helpers/html-fragments.js'
import { ALLOWED_ORIGINS, EMBED_FORMS, inlineScripts, postPairs, tokenIn, VALID, VALID_PLAIN } from './embed-helpers.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ formsDir: EMBED_FORMS, startWorker: false })
})
afterAll(() => t.close())

const get = (url: string) => t.app.inject({ url })

/** The CSP as directive → sources. */
function csp (res: LightMyRequestResponse): Record<string, string[]> {
  const header = res.headers['content-security-policy']
  if (typeof header !== 'string') throw new Error(`no CSP on ${res.statusCode}`)
  return Object.fromEntries(header.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/)
    return [name!, sources]
  }))
}

function expectFramableBy (res: LightMyRequestResponse, origins: string[]) {
  expect(csp(res)['frame-ancestors']).toEqual(origins)
  expect(res.headers['x-frame-options']).toBeUndefined()
}

function expectNotFramable (res: LightMyRequestResponse) {
  expect(csp(res)['frame-ancestors']).toEqual(["'none'"])
  expect(res.headers['x-frame-options']).toBe('DENY')
}

function expectStrictPage (res: LightMyRequestResponse) {
  const policy = csp(res)
  expect(policy['default-src']).toEqual(["'self'"])
  expect(policy['script-src']).toEqual(["'self'"])
  expect(policy['script-src-attr']).toEqual(["'none'"])
  expect(policy['style-src']).toEqual(["'self'"])
  expect(policy['form-action']).toEqual(["'self'"])
  expect(res.headers['content-type']).toMatch(/^text\/html/)
  expect(inlineScripts(res.body)).toEqual([])
  expect(res.body).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i)
}

/** A referral of `id` stored: its confirmation URL (with the query the 303 carried). */
async function confirmationOf (id: string, pairs: typeof VALID, query = ''): Promise<string> {
  const page = await get(`/forms/${id}${query}`)
  const res = await postPairs(t.app, id, [['_token', tokenIn(page.body)], ...pairs], { url: `/forms/${id}${query}` })
  expect(res.statusCode).toBe(303)
  return String(res.headers.location)
}

describe('a form that lists allowed origins', () => {
  it('may be framed by exactly those origins on its page, with and without ?embed', async () => {
    expectFramableBy(await get('/forms/embeddable'), ALLOWED_ORIGINS)
    expectFramableBy(await get(`/forms/embeddable?embed=${encodeURIComponent(ALLOWED_ORIGINS[1]!)}`), ALLOWED_ORIGINS)
    expectFramableBy(await get('/forms/embeddable?embed=https://evil.example.com'), ALLOWED_ORIGINS)
  })

  it('keeps the same policy on its 422, 400, add-person and confirmation pages', async () => {
    const token = tokenIn((await get('/forms/embeddable')).body)
    const invalid = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID.filter(([k]) => k !== 'reason')])
    expect(invalid.statusCode).toBe(422)
    expectFramableBy(invalid, ALLOWED_ORIGINS)
    const noToken = await postPairs(t.app, 'embeddable', VALID)
    expect(noToken.statusCode).toBe(400)
    expectFramableBy(noToken, ALLOWED_ORIGINS)
    const added = await postPairs(t.app, 'embeddable', [['_token', token], ...VALID, ['_action', 'add:family']])
    expect(added.statusCode).toBe(200)
    expectFramableBy(added, ALLOWED_ORIGINS)
    const confirmation = await get(await confirmationOf('embeddable', VALID))
    expect(confirmation.statusCode).toBe(200)
    expectFramableBy(confirmation, ALLOWED_ORIGINS)
  })

  it('keeps the rest of the strict CSP and the other helmet headers', async () => {
    const res = await get('/forms/embeddable')
    expectStrictPage(res)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
  })
})

describe('every other page', () => {
  it('may not be framed: a form without allowed origins, through 422 and its confirmation', async () => {
    expectNotFramable(await get('/forms/not-embeddable'))
    expectNotFramable(await get('/forms/not-embeddable?embed=https://help.example.org'))
    const token = tokenIn((await get('/forms/not-embeddable')).body)
    const invalid = await postPairs(t.app, 'not-embeddable', [['_token', token], ['you[0][_]', '1']])
    expect(invalid.statusCode).toBe(422)
    expectNotFramable(invalid)
    expectNotFramable(await get(await confirmationOf('not-embeddable', VALID_PLAIN)))
  })

  it('may not be framed: the list of forms, a missing form, any 404, health, assets and the embed script', async () => {
    for (const url of ['/', '/forms/nope', '/nowhere', '/forms/embeddable/sent/ZZZZZZZZ/more', '/healthz', '/public/app.css', '/embed.js']) {
      const res = await get(url)
      expectNotFramable(res)
    }
    expect((await get('/forms/nope')).statusCode).toBe(404)
  })

  it('has no inline script or style in any HTML page', async () => {
    const pages = [
      await get('/'),
      await get('/forms/embeddable?embed=https://help.example.org'),
      await get('/forms/not-embeddable'),
      await get('/forms/nope'),
      await postPairs(t.app, 'embeddable', VALID),
      await get(await confirmationOf('embeddable', VALID)),
    ]
    for (const res of pages) expectStrictPage(res)
  })
})

describe('?embed=<origin>', () => {
  const enc = encodeURIComponent

  it('marks the page with an allowed embedding origin and carries it through the form and its confirmation', async () => {
    const origin = ALLOWED_ORIGINS[0]!
    const page = await get(`/forms/embeddable?embed=${enc(origin)}`)
    const body = attrs(tags(page.body, 'body')[0]!)
    expect(body).toMatchObject({ class: 'embedded', 'data-embed-origin': origin })
    expect(attrs(tags(page.body, 'form')[0]!).action).toBe(`/forms/embeddable?embed=${enc(origin)}`)
    const location = await confirmationOf('embeddable', VALID, `?embed=${enc(origin)}`)
    expect(location).toMatch(new RegExp(`^/forms/embeddable/sent/[A-Z0-9]{8}\\?embed=${enc(origin).replace(/[.]/g, '\\.')}$`))
    const confirmation = await get(location)
    expect(attrs(tags(confirmation.body, 'body')[0]!)['data-embed-origin']).toBe(origin)
  })

  it('ignores an origin the form does not list, and any embed on a form that lists none', async () => {
    for (const url of [
      '/forms/embeddable?embed=https://evil.example.com',
      '/forms/embeddable?embed=https://help.example.org.evil.com',
      `/forms/embeddable?embed=${enc('"><script>alert(1)</script>')}`,
      '/forms/not-embeddable?embed=https://help.example.org',
    ]) {
      const page = await get(url)
      expect(page.statusCode).toBe(200)
      expect(attrs(tags(page.body, 'body')[0]!)).toEqual({})
      expect(attrs(tags(page.body, 'form')[0]!).action).toMatch(/^\/forms\/[a-z-]+$/)
      expect(inlineScripts(page.body)).toEqual([])
    }
  })
})

describe('allowed origins written with capitals or a default port', () => {
  it('match the origin the browser sends, as the CSP matches them', async () => {
    const dir = tempDir('rf-embed-case-')
    writeFileSync(path.join(dir, 'shouty.yaml'), embeddableFormText('shouty', 'Shouty', "['https://WWW.Example-Charity.org.uk:443']"))
    const other = await buildTestApp({ formsDir: dir, startWorker: false })
    try {
      const page = await other.app.inject({ url: `/forms/shouty?embed=${encodeURIComponent('https://www.example-charity.org.uk')}` })
      expect(attrs(tags(page.body, 'body')[0]!)['data-embed-origin']).toBe('https://www.example-charity.org.uk')
      expect(csp(page)['frame-ancestors']).toEqual(['https://WWW.Example-Charity.org.uk:443'])
      const notCanonical = await other.app.inject({ url: `/forms/shouty?embed=${encodeURIComponent('https://WWW.Example-Charity.org.uk:443')}` })
      expect(attrs(tags(notCanonical.body, 'body')[0]!)).toEqual({})
    } finally {
      await other.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('"Exit this page" (quick_exit: true)', () => {
  function exitLink (html: string): Record<string, string> | undefined {
    return tags(html, 'a').map(attrs).find((a) => 'data-quick-exit' in a)
  }

  it('is a link to a neutral site that replaces the top window, on the form and its confirmation', async () => {
    const expected = { href: QUICK_EXIT_URL, target: '_top', class: 'button button--warning' }
    expect(exitLink((await get('/forms/embeddable')).body)).toMatchObject(expected)
    expect(exitLink((await postPairs(t.app, 'embeddable', VALID)).body)).toMatchObject(expected)
    expect(exitLink((await get(await confirmationOf('embeddable', VALID))).body)).toMatchObject(expected)
    expect((await get('/forms/embeddable')).body).toContain('Or press the Shift key 3 times.')
  })

  it('is not there on a form that does not ask for it', async () => {
    expect(exitLink((await get('/forms/not-embeddable')).body)).toBeUndefined()
  })
})
