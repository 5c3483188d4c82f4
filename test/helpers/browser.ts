/**
 * Browser helpers for tests: Debian's Chromium driven by playwright-core, and axe-core.
 *
 * Chromium: Playwright cannot download its own browser here, so we use Debian's
 * `chromium` package at /usr/bin/chromium (`.ci/run` installs it; locally:
 * `apt-get update && apt-get install -y --no-install-recommends chromium`).
 *
 * Third-party cookies (`newContext(browser, { blockThirdPartyCookies: true })`):
 * - What works: the DevTools command `Network.setCookieControls
 *   { enableThirdPartyCookieRestriction: true }`, sent on a CDP session per page
 *   (the session must stay attached). Checked on Chromium 156: it blocks a
 *   SameSite=None; Secure cookie in a cross-site iframe even when the profile's
 *   preference allows third-party cookies.
 * - What does not: the `--test-third-party-cookie-phaseout` launch flag has no
 *   effect on Chromium 156, and Playwright has no context option for this.
 * - Note: Debian's Chromium 156 blocks third-party cookies by default
 *   (profile pref `cookie_controls_mode` defaults to 1), in Playwright's
 *   contexts too. So omitting the option does NOT mean third-party cookies are
 *   allowed; the option makes the blocking explicit and independent of that default.
 *
 * axe-core: its source is evaluated in each frame through the DevTools protocol
 * (`frame.evaluate`), which is not subject to the page's Content-Security-Policy,
 * so pages keep their real CSP (no `bypassCSP`; `addScriptTag` would be blocked).
 * With `javaScriptEnabled: false` no timer or postMessage callback ever runs in
 * the page (checked: not in an isolated world either), which hangs a plain
 * `axe.run`; runAxe detects that and runs axe with zero-delay timers turned into
 * promise jobs, checking each frame separately.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { expect } from 'vitest'
import type { Browser, BrowserContext, BrowserContextOptions, Frame, Page, Response } from 'playwright-core'
import type axe from 'axe-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Flags Chromium is started with (Playwright adds its own defaults as well). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these, Chromium keeps trying to reach Google, gets refused here and misbehaves.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** axe rule tags checked by `runAxe`: WCAG 2.0/2.1/2.2 A and AA, plus best practices. */
export const AXE_TAGS: readonly string[] = [
  'wcag2a',
  'wcag2aa',
  'wcag21a',
  'wcag21aa',
  'wcag22a',
  'wcag22aa',
  'best-practice',
]

export type AxeViolation = axe.Result

export async function launchBrowser (): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Browser tests use Debian's Chromium; install it with ` +
        '`apt-get update && apt-get install -y --no-install-recommends chromium` (as root), or run `.ci/run`.'
    )
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] })
}

export type NewContextOptions = BrowserContextOptions & {
  /** Block third-party cookies explicitly in every page of the context (see the file comment). */
  blockThirdPartyCookies?: boolean
}

/**
 * A new isolated browser context. `javaScriptEnabled` and any other Playwright
 * context option pass through. With `blockThirdPartyCookies`, pages made by
 * `context.newPage()` have the restriction in place before it resolves; pages
 * opened by the site itself (popups) get it as soon as Playwright reports them.
 */
export async function newContext (browser: Browser, opts: NewContextOptions = {}): Promise<BrowserContext> {
  const { blockThirdPartyCookies = false, ...contextOptions } = opts
  const context = await browser.newContext(contextOptions)
  if (!blockThirdPartyCookies) return context

  const applied = new WeakMap<Page, Promise<void>>()
  const restrict = (page: Page): Promise<void> => {
    let done = applied.get(page)
    if (!done) {
      done = restrictThirdPartyCookies(context, page)
      applied.set(page, done)
    }
    return done
  }
  context.on('page', (page) => {
    restrict(page).catch(() => {
      // The page may already be closed; newPage() callers see real errors below.
    })
  })
  const originalNewPage = context.newPage.bind(context)
  context.newPage = async () => {
    const page = await originalNewPage()
    await restrict(page)
    return page
  }
  return context
}

async function restrictThirdPartyCookies (context: BrowserContext, page: Page): Promise<void> {
  // The session is deliberately left attached: the override lasts only while it is.
  const session = await context.newCDPSession(page)
  await session.send('Network.enable')
  await session.send('Network.setCookieControls', { enableThirdPartyCookieRestriction: true })
}

let axeSource: string | undefined
function getAxeSource (): string {
  if (axeSource === undefined) {
    const require = createRequire(import.meta.url)
    const axeDir = path.dirname(require.resolve('axe-core'))
    axeSource = readFileSync(path.join(axeDir, 'axe.min.js'), 'utf8')
  }
  return axeSource
}

/**
 * axe's source run with its own setTimeout/clearTimeout, for documents where
 * scripts are disabled: there no timer or message callback ever runs (in any JS
 * world), only promise jobs. Zero-delay timers become promise jobs; longer ones
 * are axe's guards and timeouts and are dropped. The page's globals are untouched.
 */
function getAxeSourceWithoutTimers (): string {
  return `(function (setTimeout, clearTimeout) {
${getAxeSource()}
}).apply(window, (function () {
  var cancelled = new Set();
  var nextId = 1;
  return [
    function (callback, delay) {
      var id = nextId++;
      var args = Array.prototype.slice.call(arguments, 2);
      if (!(delay > 1)) Promise.resolve().then(function () { if (!cancelled.has(id)) callback.apply(undefined, args); });
      return id;
    },
    function (id) { cancelled.add(id); }
  ];
})());`
}

type AxeWindow = { axe?: typeof axe }

/** Whether timer callbacks run in the frame (false when JavaScript is disabled). */
async function timersRun (frame: Frame): Promise<boolean> {
  const probe = frame.evaluate(() => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 0)))
  probe.catch(() => undefined) // never settles when scripts are disabled, until the page goes away
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500).unref())
  return Promise.race([probe, timeout])
}

/** Loads axe into a frame (if not there yet) and lets it talk to frames of any origin. */
async function injectAxe (frame: Frame, withTimers: boolean): Promise<void> {
  const present = await frame.evaluate(() => typeof (window as unknown as AxeWindow).axe === 'object')
  if (!present) await frame.evaluate(withTimers ? getAxeSource() : getAxeSourceWithoutTimers())
  await frame.evaluate(() => {
    ;(window as unknown as Required<AxeWindow>).axe.configure({ allowedOrigins: ['<unsafe_all_origins>'] })
  })
}

function descendants (frame: Frame): Frame[] {
  return frame.childFrames().flatMap((child) => [child, ...descendants(child)])
}

export type RunAxeOptions = {
  /** What to test within the document (axe's context: selectors / include / exclude). Default: the whole document. */
  context?: axe.SerialContextObject | axe.SerialSelector | axe.SerialSelectorList
  /** Rule ids to switch off, e.g. while a known issue is being fixed. */
  disableRules?: string[]
}

async function axeRun (frame: Frame, options: RunAxeOptions, iframes: boolean): Promise<AxeViolation[]> {
  const runOptions: axe.RunOptions = {
    runOnly: { type: 'tag', values: [...AXE_TAGS] },
    resultTypes: ['violations'],
    iframes,
    frameWaitTime: 10_000,
    rules: Object.fromEntries((options.disableRules ?? []).map((id) => [id, { enabled: false }])),
  }
  return frame.evaluate(
    async ({ context, runOptions }) => {
      const axeApi = (window as unknown as Required<AxeWindow>).axe
      const results = await axeApi.run(context ?? document, runOptions)
      return results.violations
    },
    { context: options.context ?? null, runOptions }
  )
}

/** Selectors of the iframe elements leading from `root` down to `frame`, as axe writes them. */
async function framePath (root: Frame, frame: Frame): Promise<string[]> {
  const path: string[] = []
  for (let f: Frame | null = frame; f && f !== root; f = f.parentFrame()) {
    const element = await f.frameElement()
    path.unshift(
      await element.evaluate((node) => {
        const el = node as Element
        const tag = el.tagName.toLowerCase()
        if (el.id) return `${tag}#${CSS.escape(el.id)}`
        if (document.querySelectorAll(tag).length === 1) return tag
        const parts: string[] = []
        for (let node: Element | null = el; node && node !== document.documentElement; node = node.parentElement) {
          let index = 1
          for (let s = node.previousElementSibling; s; s = s.previousElementSibling) {
            if (s.tagName === node.tagName) index++
          }
          parts.unshift(`${node.tagName.toLowerCase()}:nth-of-type(${index})`)
        }
        return parts.join(' > ')
      })
    )
    await element.dispose()
  }
  return path
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A + AA and best-practice rules) on a page or on
 * one frame of it, including the frames nested inside, and returns the violations.
 *
 * Where JavaScript is disabled, frames cannot message each other, so each nested
 * frame is checked on its own (page-level rules then apply to it too) and its
 * results are merged in with the iframe selectors prefixed, as axe does.
 */
export async function runAxe (target: Page | Frame, options: RunAxeOptions = {}): Promise<AxeViolation[]> {
  const root = 'mainFrame' in target ? target.mainFrame() : target
  const frames = [root, ...descendants(root)]

  if (await timersRun(root)) {
    await injectAxe(root, true)
    for (const child of frames.slice(1)) {
      // A frame that is detached or still loading is reported by axe itself (rule frame-tested).
      await injectAxe(child, true).catch(() => undefined)
    }
    return axeRun(root, options, true)
  }

  const merged = new Map<string, AxeViolation>()
  for (const frame of frames) {
    const prefix = frame === root ? [] : await framePath(root, frame)
    await injectAxe(frame, false)
    for (const violation of await axeRun(frame, frame === root ? options : {}, false)) {
      const nodes = violation.nodes.map((node) => ({ ...node, target: [...prefix, ...node.target] }))
      const existing = merged.get(violation.id)
      if (existing) existing.nodes.push(...nodes)
      else merged.set(violation.id, { ...violation, nodes })
    }
  }
  return [...merged.values()]
}

function formatTarget (target: axe.UnlabelledFrameSelector): string {
  // Frame boundaries are shown as " >> ", shadow DOM boundaries as " >>> ".
  return target.map((part) => (typeof part === 'string' ? part : part.join(' >>> '))).join(' >> ')
}

/** A readable summary of violations for assertion messages. */
export function formatViolations (violations: AxeViolation[]): string {
  if (violations.length === 0) return 'no accessibility violations'
  const lines = [`${violations.length} accessibility violation(s):`]
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'unknown impact'}] ${v.help} (${v.helpUrl})`)
    for (const node of v.nodes) lines.push(`    ${formatTarget(node.target)}`)
  }
  return lines.join('\n')
}

/** The form control called `name` (inputs, selects and textareas are found by their name). */
export const field = (page: Page, name: string) => page.locator(`[name="${name}"]`)

/** Runs `act` (a click, a key press) and returns the response of the page that ends up shown. */
export async function navigate (page: Page, act: () => Promise<unknown>): Promise<Response> {
  const [response] = await Promise.all([page.waitForNavigation(), act()])
  if (!response) throw new Error('no navigation response')
  return response
}

/** Clicks the button (or link) called `name` and waits for the page it leads to. */
export const clickThrough = (page: Page, name: string, role: 'button' | 'link' = 'button') =>
  navigate(page, () => page.getByRole(role, { name, exact: true }).first().click())

/** axe finds nothing on the page; `what` names the page in the failure. */
export async function expectNoAxeViolations (page: Page, what = page.url()): Promise<void> {
  const violations = await runAxe(page)
  expect(violations, `${what}: ${formatViolations(violations)}`).toEqual([])
}

/** Signs in on the staff pages in the browser, as a person does: the sign-in page, email, password, the button. */
export async function signInInBrowser (page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/admin/sign-in`)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await clickThrough(page, 'Sign in')
}
