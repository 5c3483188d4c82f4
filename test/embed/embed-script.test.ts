/**
 * `GET /embed.js` (issue 4, item 1) through inject: what other sites load. Its behaviour in a page is
 * tested in Chromium (embed-in-browser.test.ts).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { Script } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, embeddableFormText, tempDir, type TestApp } from '../helpers/app.js'

const PUBLIC_URL = 'https://forms.example-charity.org.uk'
let t: TestApp
let formsDir: string
beforeAll(async () => {
  formsDir = tempDir('rf-embed-forms-')
  writeFileSync(path.join(formsDir, 'tricky.yaml'),
    embeddableFormText('tricky', '"Help </script><script>alert(1)</script> & support"', '[https://www.example-charity.org.uk]'))
  t = await buildTestApp({ formsDir, env: { PUBLIC_URL: `${PUBLIC_URL}/` }, startWorker: false })
})
afterAll(() => t.close())

describe('GET /embed.js', () => {
  it('is JavaScript that other sites may load', async () => {
    const res = await t.app.inject({ url: '/embed.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(() => new Script(res.body)).not.toThrow() // parses as a script
  })

  it('is cached for a few minutes with an ETag, and answers 304 to a matching If-None-Match', async () => {
    const res = await t.app.inject({ url: '/embed.js' })
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    const etag = res.headers.etag
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/)
    const again = await t.app.inject({ url: '/embed.js', headers: { 'if-none-match': String(etag) } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers.etag).toBe(etag)
    expect(again.headers['cache-control']).toBe('public, max-age=300')
    const stale = await t.app.inject({ url: '/embed.js', headers: { 'if-none-match': '"something-older"' } })
    expect(stale.statusCode).toBe(200)
  })

  it('carries our origin (PUBLIC_URL without its slash), wrapped so another server’s copy keeps its own', async () => {
    const { body } = await t.app.inject({ url: '/embed.js' })
    expect(body.startsWith('(function (ORIGIN, TITLES) {\n')).toBe(true)
    expect(body.trimEnd().endsWith(`})(${JSON.stringify(PUBLIC_URL)}, {"tricky":"Help \\u003c/script>\\u003cscript>alert(1)\\u003c/script> & support"});`)).toBe(true)
  })

  it('escapes "<" in form titles so no title can close a script element', async () => {
    const { body } = await t.app.inject({ url: '/embed.js' })
    const args = body.slice(body.lastIndexOf('})('))
    expect(args).toContain('alert(1)')
    expect(args).not.toContain('<')
  })
})
