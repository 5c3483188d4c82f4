/**
 * What the public-page browser tests share: the example forms and the fixture forms, each served by a
 * real listening app on a clock that moves, and one Chromium. `close` ends all of them.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { buildTestApp, fastClock, FIXTURE_FORMS, listenTestApp, type TestApp } from './app.js'
import { launchBrowser, newContext } from './browser.js'

export interface BrowserApps {
  examples: TestApp
  fixtures: TestApp
  /** Base URLs of the two apps. */
  base: string
  fixturesBase: string
  browser: Browser
  close (): Promise<void>
}

export async function startBrowserApps (): Promise<BrowserApps> {
  const examples = await buildTestApp({ clock: fastClock() })
  const fixtures = await buildTestApp({ formsDir: FIXTURE_FORMS, clock: fastClock() })
  const base = await listenTestApp(examples)
  const fixturesBase = await listenTestApp(fixtures)
  const browser = await launchBrowser()
  return {
    examples,
    fixtures,
    base,
    fixturesBase,
    browser,
    async close () {
      await browser.close()
      await examples.close()
      await fixtures.close()
    },
  }
}

/**
 * For a test file: the apps and Chromium started before its tests and closed after them, with one
 * browser context, JavaScript on or off. The fields are filled in by the time the tests run.
 */
export function useBrowserApps (opts: { javaScriptEnabled: boolean }): BrowserApps & { context: BrowserContext } {
  const used = {} as BrowserApps & { context: BrowserContext }
  beforeAll(async () => {
    Object.assign(used, await startBrowserApps())
    used.context = await newContext(used.browser, opts)
  })
  afterAll(async () => {
    await used.context?.close()
    await used.close?.()
  })
  return used
}
