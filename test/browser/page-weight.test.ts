/**
 * Page weight: a form page's HTML plus the CSS and JavaScript it links to, each body gzipped
 * (node:zlib) and summed, must stay under 20 KB. Fetched from the real listening server.
 */
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app.js'

const BUDGET = 20 * 1024

let t: TestApp
let base = ''

beforeAll(async () => {
  t = await buildTestApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await t?.close()
})

async function body (url: string): Promise<Buffer> {
  const response = await fetch(url)
  expect(response.status, url).toBe(200)
  return Buffer.from(await response.arrayBuffer())
}

describe('page weight', () => {
  it.each(['carers-referral', 'professional-referral'])('%s: HTML + CSS + JS under 20 KB gzipped', async (id) => {
    const html = await body(`${base}/forms/${id}`)
    const text = html.toString('utf8')
    // Everything the page loads: stylesheets and scripts (no images or fonts are used).
    const assets = [
      ...text.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g),
      ...text.matchAll(/<script[^>]+src="([^"]+)"/g),
    ].map((m) => m[1]!)
    expect(assets.map((a) => a.split('?')[0])).toEqual(['/public/app.css', '/public/app.js'])

    const parts = [{ name: 'html', raw: html }]
    for (const href of assets) parts.push({ name: href.split('?')[0]!, raw: await body(new URL(href, base).href) })
    const sizes = parts.map((p) => ({ name: p.name, raw: p.raw.length, gzipped: gzipSync(p.raw).length }))
    const total = sizes.reduce((sum, s) => sum + s.gzipped, 0)
    console.log(`Page weight of /forms/${id}: ${sizes.map((s) => `${s.name} ${s.raw} B → ${s.gzipped} B`).join(', ')}; ` +
      `total ${total} B gzipped (${(total / 1024).toFixed(1)} KB of the ${BUDGET / 1024} KB budget)`)
    expect(total).toBeLessThan(BUDGET)
  })
})
