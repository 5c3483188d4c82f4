/**
 * The README's embed snippet on another site, in Chromium with third-party cookies blocked (issue 4).
 *
 * The app listens on http://127.0.0.1:APP (its PUBLIC_URL); the host pages come from a tiny node:http
 * server on http://localhost:HOST, a different *site* (so the iframe is cross-site and its cookies are
 * third-party). A second host on http://localhost:STRANGER is not in any form's allowed origins.
 * The forms are written at test time, since the allowed origin carries HOST's random port.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { QUICK_EXIT_URL } from '../../src/forms/view-model.js'
import { buildTestApp, tempDir, type TestApp } from '../helpers/app.js'
import { formatViolations, launchBrowser, newContext, runAxe } from '../helpers/browser.js'
import { freePort } from '../helpers/net.js'

const TITLE_A = 'Ask us for support'
const TITLE_B = 'Tell us about a young carer'
const WAIT = { timeout: 10_000 }

let app: TestApp
let appOrigin = ''
let hostOrigin = ''
let strangerOrigin = ''
let formsDir = ''
const servers: Server[] = []
let browser: Browser
let context: BrowserContext
let page: Page

/** A static site: path → HTML. Listening on 127.0.0.1, visited as http://localhost:PORT. */
async function hostSite (pages: (origin: string) => Record<string, string>): Promise<string> {
  let origin = ''
  const server = createServer((req, res) => {
    const html = pages(origin)[(req.url ?? '/').split('?')[0]!]
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(html ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  origin = `http://localhost:${(server.address() as AddressInfo).port}`
  return origin
}

/** The README's snippet. */
const snippet = (id: string) =>
  `<script src="${appOrigin}/embed.js" data-form="${id}" async></script>\n<noscript><a href="${appOrigin}/forms/${id}">Open the form</a></noscript>`

/** A charity's page: a heading, some text above the form (so it starts low down), the form(s), and a footer tall enough that the host can always scroll a form's top to the top of the window. */
const hostPage = (body: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A charity's website</title></head>
<body style="margin:0;font-family:sans-serif">
<header style="height:500px;background:#eef"><h1>Our charity</h1><p>Some words about us.</p></header>
<main>${body}</main>
<footer style="height:800px;background:#efe"><p>Charity number 123456</p></footer>
</body></html>`

function formYaml (id: string, title: string, origins: string[], quickExit: boolean): string {
  return `id: ${id}
title: ${title}
destination: { type: charitylog, description: reason }
people:
  - key: you
    heading: About you
    charitylog: { org_type_id: 7 }
    fields:
      - { name: first_name, label: First name, type: text, required: true, autocomplete: given-name }
      - { name: surname, label: Last name, type: text, required: true, autocomplete: family-name }
  - key: family
    heading: People you care for
    min: 0
    max: 4
    add_another: Add another person
    charitylog: { org_type_id: 9 }
    fields:
      - { name: first_name, label: First name, type: text, required: true }
fields:
  - { name: reason, label: How can we help?, type: textarea, required: true }
embed:
  allowed_origins: [${origins.join(', ')}]
quick_exit: ${quickExit}
`
}

beforeAll(async () => {
  const appPort = await freePort()
  appOrigin = `http://127.0.0.1:${appPort}`
  hostOrigin = await hostSite(() => ({
    '/one': hostPage(snippet('embed-a')),
    '/two': hostPage(`${snippet('embed-a')}\n<p style="height:200px">Between the forms.</p>\n${snippet('embed-b')}`),
    '/broken': hostPage(snippet('embed-broken')),
  }))
  strangerOrigin = await hostSite((origin) => ({
    '/one': hostPage(snippet('embed-a')),
    // A page that claims to be an allowed site in ?embed: the browser still knows who frames it.
    '/spoof': hostPage(`<iframe title="${TITLE_A}" style="width:100%;height:600px" src="${appOrigin}/forms/embed-a?embed=${encodeURIComponent(hostOrigin)}"></iframe><p>${origin}</p>`),
  }))
  formsDir = tempDir('rf-embed-browser-forms-')
  mkdirSync(formsDir, { recursive: true })
  writeFileSync(path.join(formsDir, 'embed-a.yaml'), formYaml('embed-a', TITLE_A, [hostOrigin, 'https://www.example.org'], true))
  writeFileSync(path.join(formsDir, 'embed-b.yaml'), formYaml('embed-b', TITLE_B, [hostOrigin], false))
  // A form file broken by hand (a misspelt key), still readable YAML that allows the host.
  writeFileSync(path.join(formsDir, 'embed-broken.yaml'), formYaml('embed-broken', 'Broken', [hostOrigin], false).replace('type: textarea, required: true', 'type: textarea, requried: true'))
  app = await buildTestApp({ formsDir, env: { PUBLIC_URL: appOrigin, CONTACT_PHONE: '01234 567890', CONTACT_EMAIL: 'help@charity.org.uk' }, startWorker: false })
  await app.app.listen({ port: appPort, host: '127.0.0.1' })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  if (formsDir) rmSync(formsDir, { recursive: true, force: true })
})

beforeEach(async () => {
  context = await newContext(browser, { blockThirdPartyCookies: true, javaScriptEnabled: true, viewport: { width: 1000, height: 700 } })
  page = await context.newPage()
})
afterEach(async () => {
  await context?.close()
})

const iframeOf = (title: string) => page.locator(`iframe[title="${title}"]`)

/** The iframe's frame, once the form page inside it has loaded. */
async function formFrame (title: string, heading = title): Promise<Frame> {
  const element = await iframeOf(title).elementHandle(WAIT)
  const frame = await element!.contentFrame()
  if (!frame) throw new Error(`no frame for ${title}`)
  await frame.locator('h1', { hasText: heading }).waitFor(WAIT)
  return frame
}

/** The iframe's height on the host page, in CSS pixels. */
const iframeHeight = (title: string) => iframeOf(title).evaluate((el) => el.getBoundingClientRect().height)
/** The height of the page inside the iframe (what it posts). */
const contentHeight = (frame: Frame) => frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height))
/** Where the iframe's top is in the host's viewport. */
const iframeTop = (title: string) => iframeOf(title).evaluate((el) => el.getBoundingClientRect().top)

/** Waits until the iframe is as tall as the page inside it, and returns that height. */
async function settledHeight (title: string, frame: Frame): Promise<number> {
  await expect.poll(async () => Math.abs(await iframeHeight(title) - await contentHeight(frame)), WAIT).toBeLessThanOrEqual(1)
  return iframeHeight(title)
}

/** Clicks a button inside the frame that loads a new page there, and waits for that page. */
async function submitIn (frame: Frame, button: string) {
  await Promise.all([frame.waitForNavigation(WAIT), frame.getByRole('button', { name: button, exact: true }).click()])
}

describe('a form embedded with the README snippet on another site, third-party cookies blocked', () => {
  const heights: Record<string, number> = {}
  afterAll(() => { console.log(`iframe heights (px): ${JSON.stringify(heights)}`) })

  it('shows the form in a full-width iframe titled with the form’s title, sized to its content', async () => {
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    expect(await iframeOf(TITLE_A).getAttribute('title')).toBe(TITLE_A)
    expect(await iframeOf(TITLE_A).evaluate((el) => el.getBoundingClientRect().width)).toBe(await page.evaluate(() => document.body.clientWidth))
    heights.first = await settledHeight(TITLE_A, frame)
    expect(heights.first).not.toBe(600)
    // The plain link for anyone whose script does not run.
    expect(await page.getByRole('link', { name: 'Open the form in its own page' }).getAttribute('href')).toBe(`${appOrigin}/forms/embed-a`)
  })

  it('grows when a person is added and when errors show, scrolls the host to the form on each new page, and shows the confirmation', async () => {
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    const start = await settledHeight(TITLE_A, frame)

    // Add a person (in the page, no request): the iframe grows.
    await frame.getByRole('button', { name: 'Add another person' }).click()
    await expect.poll(() => iframeHeight(TITLE_A), WAIT).toBeGreaterThan(start)
    const added = await settledHeight(TITLE_A, frame)
    expect(await frame.locator('input[name="family[1][first_name]"]').count()).toBe(1)

    // Send it empty: the page with errors comes back inside the frame, taller, and the host scrolls to it.
    await submitIn(frame, 'Send referral')
    await frame.locator('[data-error-summary]').waitFor(WAIT)
    await expect.poll(() => iframeHeight(TITLE_A), WAIT).toBeGreaterThan(added)
    const withErrors = await settledHeight(TITLE_A, frame)
    await expect.poll(() => iframeTop(TITLE_A), WAIT).toBeCloseTo(0, 0)

    // Fill it in and send it: the confirmation, inside the frame, with the host scrolled to it.
    await frame.getByLabel('First name').nth(0).fill('Alice')
    await frame.getByLabel('Last name').fill('Smith')
    await frame.locator('input[name="family[0][first_name]"]').fill('Bea')
    await frame.locator('input[name="family[1][first_name]"]').fill('Cy')
    await frame.getByLabel('How can we help?').fill('Some help with caring, please.')
    await submitIn(frame, 'Send referral')
    await frame.getByText('Your reference').waitFor(WAIT)
    const reference = (await frame.locator('.reference').textContent())!.trim()
    expect(reference).toMatch(/^[A-Z0-9]{8}$/)
    const confirmed = await settledHeight(TITLE_A, frame)
    await expect.poll(() => iframeTop(TITLE_A), WAIT).toBeCloseTo(0, 0)
    Object.assign(heights, { start, added, withErrors, confirmed })
    expect(confirmed).toBeLessThan(withErrors)

    const row = await app.app.services.storage.submissions.findByReference(reference)
    expect(row?.quarantined_at).toBeNull()
    const payload = (await app.app.services.storage.submissions.readPersonalData(reference))!.payload as { people: unknown[] }
    expect(payload.people).toHaveLength(3)

    // No cookie took part, and none could have: the frame's cookies are third-party and blocked.
    expect(await context.cookies()).toEqual([])
    expect(await frame.evaluate(() => { document.cookie = 'probe=1; path=/'; return document.cookie })).toBe('')
  })

  it('ignores height messages that do not come from its own iframe', async () => {
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    const before = await settledHeight(TITLE_A, frame)
    await page.evaluate(() => window.postMessage({ type: 'referral-form:height', height: 4321 }, '*'))
    // The host's own message has been delivered once a later one from the same window arrives.
    await page.evaluate(() => new Promise<void>((resolve) => {
      window.addEventListener('message', function done (e) { if (e.data === 'after') { window.removeEventListener('message', done); resolve() } })
      window.postMessage('after', '*')
    }))
    expect(await iframeHeight(TITLE_A)).toBe(before)
  })

  it('works for two forms on one page, each at its own height', async () => {
    await page.goto(`${hostOrigin}/two`)
    const a = await formFrame(TITLE_A)
    const b = await formFrame(TITLE_B)
    const aHeight = await settledHeight(TITLE_A, a)
    const bStart = await settledHeight(TITLE_B, b)
    await b.getByRole('button', { name: 'Add another person' }).click()
    await expect.poll(() => iframeHeight(TITLE_B), WAIT).toBeGreaterThan(bStart)
    expect(await iframeHeight(TITLE_A)).toBe(aHeight)

    await b.getByLabel('First name').nth(0).fill('Dee')
    await b.getByLabel('Last name').fill('Jones')
    await b.locator('input[name="family[0][first_name]"]').fill('Eve')
    await b.locator('input[name="family[1][first_name]"]').fill('Fay')
    await b.getByLabel('How can we help?').fill('Respite care.')
    await submitIn(b, 'Send referral')
    await b.getByText('Your reference').waitFor(WAIT)
    const bConfirmed = await settledHeight(TITLE_B, b)
    await expect.poll(() => iframeTop(TITLE_B), WAIT).toBeCloseTo(0, 0)
    heights.twoForms = bConfirmed
    expect(await a.locator('h1').textContent()).toBe(TITLE_A)
    expect(await iframeHeight(TITLE_A)).toBe(aHeight)
  })

  it('has no axe violations inside the iframe, on the form and on its error page', async () => {
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    const violations = await runAxe(frame)
    expect(violations, formatViolations(violations)).toEqual([])
    await submitIn(frame, 'Send referral')
    await frame.locator('[data-error-summary]').waitFor(WAIT)
    const onErrors = await runAxe(frame)
    expect(onErrors, formatViolations(onErrors)).toEqual([])
  })
})

describe('a form whose file is broken, embedded on a site its file allows', () => {
  it('shows the kind "not available" page inside the iframe, with the charity\'s phone and email, axe-clean', async () => {
    expect(app.app.services.forms.isBroken('embed-broken')).toBe(true)
    await page.goto(`${hostOrigin}/broken`)
    const frame = await formFrame('Referral form', 'This form is not available at the moment')
    expect(await frame.getByRole('link', { name: '01234 567890' }).getAttribute('href')).toBe('tel:01234567890')
    expect(await frame.getByRole('link', { name: 'help@charity.org.uk' }).getAttribute('href')).toBe('mailto:help@charity.org.uk')
    const violations = await runAxe(frame)
    expect(violations, formatViolations(violations)).toEqual([])
  })
})

describe('a site the form does not allow', () => {
  /** Frames whose document is our form (a blocked frame shows Chromium's error page instead). */
  async function formDocuments (): Promise<number> {
    let n = 0
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue
      const h1 = await f.evaluate(() => document.querySelector('h1')?.textContent ?? '').catch(() => '')
      if (h1 === TITLE_A) n++
    }
    return n
  }

  /** Waits until the iframe's navigation has finished (its response arrived and was refused). */
  async function blockedFrame (): Promise<Frame> {
    const element = await page.locator('iframe').elementHandle(WAIT)
    const frame = await element!.contentFrame()
    await frame!.waitForLoadState('load', WAIT)
    return frame!
  }

  it('cannot frame it with the snippet', async () => {
    const refused = page.waitForResponse((r) => r.url().startsWith(`${appOrigin}/forms/embed-a`), WAIT)
    await page.goto(`${strangerOrigin}/one`)
    const response = await refused
    expect(response.status()).toBe(200)
    expect(await response.headerValue('content-security-policy')).toContain(`frame-ancestors ${hostOrigin} https://www.example.org`)
    const frame = await blockedFrame()
    expect(await formDocuments()).toBe(0)
    expect(frame.url()).not.toMatch(/^http:\/\/127\.0\.0\.1/)
  })

  it('cannot frame it by claiming an allowed origin in ?embed', async () => {
    await page.goto(`${strangerOrigin}/spoof`)
    await blockedFrame()
    expect(await formDocuments()).toBe(0)
  })
})

describe('"Exit this page" in an embedded form', () => {
  async function stubNeutralSite () {
    const visited: string[] = []
    await context.route(`${QUICK_EXIT_URL}**`, async (route) => {
      visited.push(route.request().url())
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>Weather</title><h1>Weather</h1>' })
    })
    return visited
  }

  it('takes the whole window, not just the iframe, to the neutral site when the button is clicked', async () => {
    const visited = await stubNeutralSite()
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    await Promise.all([page.waitForURL(QUICK_EXIT_URL, WAIT), frame.getByRole('link', { name: 'Exit this page' }).click()])
    expect(page.url()).toBe(QUICK_EXIT_URL)
    expect(await page.locator('h1').textContent()).toBe('Weather')
    expect(visited).toEqual([QUICK_EXIT_URL])
  })

  it('takes the whole window to the neutral site when Shift is pressed three times in the form', async () => {
    const visited = await stubNeutralSite()
    await page.goto(`${hostOrigin}/one`)
    const frame = await formFrame(TITLE_A)
    // A person filling in the form has clicked or typed in it: the browser lets such a frame move the top window.
    await frame.getByLabel('How can we help?').click()
    await Promise.all([
      page.waitForURL(QUICK_EXIT_URL, WAIT),
      (async () => { for (let i = 0; i < 3; i++) await page.keyboard.press('Shift') })(),
    ])
    expect(page.url()).toBe(QUICK_EXIT_URL)
    expect(visited).toEqual([QUICK_EXIT_URL])
  })
})
