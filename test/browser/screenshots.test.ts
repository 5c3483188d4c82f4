/**
 * Full-page PNG screenshots of the carers form, its 422 page and the confirmation, at a phone's
 * 390×844 and at 1280 wide, into tmp/screens/ (git-ignored) for people to look at. Nothing is
 * asserted about the pictures themselves.
 */
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { field, launchBrowser, navigate, newContext } from '../helpers/browser.js'

/**
 * The app's clock runs 100 times faster than real time from the usual pinned test date, so a
 * minimum time to fill in a form (anti-spam) has passed by the time a browser submits.
 */
function fastClock (): () => Date {
  const start = Date.now()
  const base = Date.parse('2026-06-15T12:00:00Z')
  return () => new Date(base + (Date.now() - start) * 100)
}

const SCREENS = path.resolve(import.meta.dirname, '../../tmp/screens')

let t: TestApp
let browser: Browser
let base = ''

beforeAll(async () => {
  mkdirSync(SCREENS, { recursive: true })
  t = await buildTestApp({ clock: fastClock() })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

async function send (page: Page): Promise<number | undefined> {
  const response = await navigate(page, () => page.getByRole('button', { name: 'Send referral', exact: true }).click())
  return response.status()
}

describe('screenshots', () => {
  it.each([
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1280, height: 900 }],
  ])('carers form, 422 page and confirmation (%s)', async (name, viewport) => {
    const context = await newContext(browser, { viewport, deviceScaleFactor: 1 })
    try {
      const page = await context.newPage()
      const shot = async (what: string) => {
        await page.mouse.move(0, 0) // no hover effect left where the last click was
        await page.screenshot({ path: path.join(SCREENS, `carers-${what}-${name}.png`), fullPage: true })
      }

      await page.goto(`${base}/forms/carers-referral`)
      await field(page, 'carer[0][first_name]').fill('Ann')
      await field(page, 'carer[0][email]').fill('ann-at-example')
      await page.getByRole('button', { name: 'Add another person' }).click()
      await page.getByLabel('GP or health worker').check()
      await field(page, 'reason').focus()
      await shot('form')

      expect(await send(page)).toBe(422)
      await shot('422')

      await field(page, 'carer[0][surname]').fill('Jones')
      await field(page, 'carer[0][email]').fill('ann@example.com')
      await field(page, 'carer[0][postcode]').fill('HR9 7US')
      for (const i of [0, 1]) {
        await field(page, `cared_for[${i}][first_name]`).fill(`Person${i}`)
        await field(page, `cared_for[${i}][surname]`).fill('Jones')
      }
      await field(page, 'reason').fill('A break, please')
      await page.getByLabel('I agree to you storing these details').check()
      await page.getByLabel('I agree to you storing these details').focus()
      await shot('form-filled')

      expect(await send(page)).toBe(200)
      await shot('confirmation')
    } finally {
      await context.close()
    }
  })
})
