import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, CHROMIUM_PATH, formatViolations, launchBrowser, newContext, runAxe } from './browser.js'

const STRICT_CSP = "default-src 'self'; script-src 'self'"

function htmlPage (title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body>
</html>`
}

// An inline script: the strict CSP must stop it, proving runAxe keeps the page's real CSP.
const ACCESSIBLE = htmlPage(
  'Refer yourself',
  `<form method="post" action="/submit">
    <label for="name">Your name</label>
    <input id="name" name="name" autocomplete="name">
    <button type="submit">Send</button>
  </form>
  <script>document.documentElement.dataset.inlineScript = 'ran'</script>`
)

const INACCESSIBLE = htmlPage(
  'Broken form',
  `<img src="/pixel.png">
  <form method="post" action="/submit">
    <input id="phone" name="phone" type="text">
    <button type="submit">Send</button>
  </form>`
)

// The embedded page has its own <main>, so this one's is labelled to keep landmarks unique.
const EMBEDDING_PAGE = (src: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Charity website</title></head>
<body><main aria-label="Charity website"><h1>Get help</h1><iframe title="Referral form" src="${src}"></iframe></main></body>
</html>`

// 1x1 transparent PNG.
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64'
)

let server: http.Server
let port = 0
let browser: Browser
const contexts: BrowserContext[] = []
let persistent: BrowserContext | undefined
let userDataDir: string | undefined

// 127.0.0.1 and localhost are different sites, so one server gives us a cross-site pair.
const siteA = (path: string) => `http://127.0.0.1:${port}${path}`
const siteB = (path: string) => `http://localhost:${port}${path}`

function handle (req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://placeholder')
  const html = (body: string, csp = STRICT_CSP) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp })
    res.end(body)
  }
  switch (url.pathname) {
    case '/accessible':
      return html(ACCESSIBLE)
    case '/inaccessible':
      return html(INACCESSIBLE)
    case '/embeds-inaccessible':
      return html(EMBEDDING_PAGE(siteB('/inaccessible')), `${STRICT_CSP}; frame-src ${siteB('')}`)
    case '/pixel.png':
      res.writeHead(200, { 'Content-Type': 'image/png' })
      res.end(PIXEL)
      return
    case '/set-cookie':
      res.setHeader('Set-Cookie', 'probe=1; SameSite=None; Secure; Path=/')
      return html(htmlPage('Cookie set', '<p>Done</p>'))
    case '/show-cookie':
      return html(htmlPage('Cookie', `<p id="cookie">${req.headers.cookie ?? 'no cookie'}</p>`))
    case '/embeds-show-cookie':
      return html(EMBEDDING_PAGE(siteB('/show-cookie')), `${STRICT_CSP}; frame-src ${siteB('')}`)
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      res.end('not found')
  }
}

/** Sets a SameSite=None cookie first-party, then returns what a cross-site iframe of it receives. */
async function cookieSentToCrossSiteFrame (ctx: BrowserContext): Promise<string | null> {
  contexts.push(ctx)
  const page = await ctx.newPage()
  await page.goto(siteB('/set-cookie'))
  await page.goto(siteB('/show-cookie'))
  expect(await page.locator('#cookie').textContent()).toBe('probe=1')
  await page.goto(siteA('/embeds-show-cookie'))
  return page.frameLocator('iframe').locator('#cookie').textContent()
}

async function context (opts?: Parameters<typeof newContext>[1]): Promise<BrowserContext> {
  const ctx = await newContext(browser, opts)
  contexts.push(ctx)
  return ctx
}

beforeAll(async () => {
  server = http.createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  browser = await launchBrowser()
})

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => undefined)
  await browser?.close()
  await persistent?.close()
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

describe('browser test helpers', () => {
  it('finds no violations on an accessible page served with a strict CSP, and keeps that CSP', async () => {
    const page = await (await context()).newPage()
    const response = await page.goto(siteA('/accessible'))
    expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP)

    const violations = await runAxe(page)

    expect(violations, formatViolations(violations)).toEqual([])
    const inlineScript = await page.evaluate(() => document.documentElement.dataset.inlineScript ?? 'blocked')
    expect(inlineScript).toBe('blocked')
  })

  it('reports a missing alt text and a missing label on an inaccessible page', async () => {
    const page = await (await context()).newPage()
    await page.goto(siteA('/inaccessible'))

    const violations = await runAxe(page)

    expect(violations.map((v) => v.id).sort()).toEqual(['image-alt', 'label'])
    const report = formatViolations(violations)
    expect(report).toContain('image-alt [critical]')
    expect(report).toContain('label [critical]')
    expect(report).toContain('#phone')
  })

  it('checks pages and their iframes even when JavaScript is disabled in the context', async () => {
    const page = await (await context({ javaScriptEnabled: false })).newPage()
    await page.goto(siteA('/accessible'))
    const onAccessible = await runAxe(page)
    await page.goto(siteA('/embeds-inaccessible'))
    const onEmbedding = await runAxe(page)

    expect(onAccessible, formatViolations(onAccessible)).toEqual([])
    expect(onEmbedding.map((v) => v.id).sort()).toEqual(['image-alt', 'label'])
    expect(formatViolations(onEmbedding)).toContain('iframe >> #phone')
  })

  it('checks a cross-site iframe both on its own and as part of the page that embeds it', async () => {
    const page = await (await context()).newPage()
    await page.goto(siteA('/embeds-inaccessible'))
    const frame = await (await page.waitForSelector('iframe')).contentFrame()
    if (!frame) throw new Error('iframe has no frame')
    await frame.waitForLoadState()

    const inFrame = await runAxe(frame)
    const inPage = await runAxe(page)

    expect(inFrame.map((v) => v.id).sort()).toEqual(['image-alt', 'label'])
    expect(inPage.map((v) => v.id).sort()).toEqual(['image-alt', 'label'])
    expect(formatViolations(inPage)).toContain('iframe >> #phone')
  })

  it('keeps first-party cookies but withholds them from a cross-site iframe when third-party cookies are blocked', async () => {
    expect(await cookieSentToCrossSiteFrame(await newContext(browser, { blockThirdPartyCookies: true }))).toBe(
      'no cookie'
    )
  })

  it('blocks third-party cookies on request even where the browser profile allows them', async () => {
    // Debian's Chromium blocks them by default, so use a profile that allows them (cookie_controls_mode 0).
    userDataDir = await mkdtemp(path.join(tmpdir(), 'browser-helper-test-'))
    await mkdir(path.join(userDataDir, 'Default'))
    await writeFile(
      path.join(userDataDir, 'Default', 'Preferences'),
      JSON.stringify({ profile: { cookie_controls_mode: 0 } })
    )
    persistent = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
    })
    const allowingBrowser = persistent.browser()
    if (!allowingBrowser) throw new Error('persistent context has no browser')

    const withoutOption = await cookieSentToCrossSiteFrame(await newContext(allowingBrowser))
    const withOption = await cookieSentToCrossSiteFrame(
      await newContext(allowingBrowser, { blockThirdPartyCookies: true })
    )

    expect(withoutOption).toBe('probe=1')
    expect(withOption).toBe('no cookie')
  })
})
