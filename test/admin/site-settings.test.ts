/**
 * Who is asking, site-wide (issue 14): the charity's name and colour on a form shown on its own, left
 * out inside an iframe; a colour that would make white text hard to read refused; the accessibility
 * statement staff complete; and in Chromium, axe finds nothing on the statement, the settings page, or
 * a form wearing the charity's colour.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contrastWithWhite } from '../../src/admin/site.js'
import { expectNoAxeViolations, launchBrowser, newContext, signInInBrowser } from '../helpers/browser.js'
import { ACCOUNT_PASSWORD, signedInAs, type AdminTestApp, type Staff, listeningAdminApp } from './helpers.js'

let t: AdminTestApp
let admin: Staff
let browser: Browser
let context: BrowserContext
let base = ''

beforeAll(async () => {
  ;({ t, base } = await listeningAdminApp({ env: { CHARITY_NAME: 'Wye Valley Carers' } }, [['ada@example.org', 'admin', 'Ada Admin']]))
  admin = await signedInAs(t.app, 'ada@example.org')
  browser = await launchBrowser()
  context = await newContext(browser, { javaScriptEnabled: false })
}, 90_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await t?.close()
})

const seeForm = (query = '') => t.app.inject({ method: 'GET', url: `/forms/carers-referral${query}`, headers: query ? { 'sec-fetch-dest': 'iframe' } : {} })

describe('who is asking', () => {
  it('names the charity (CHARITY_NAME until staff set one) on a form shown on its own, with the accessibility statement', async () => {
    const page = await seeForm()
    expect(page.body).toContain('<p class="site-header__name">Wye Valley Carers</p>')
    expect(page.body).toContain('<a href="/accessibility">Accessibility statement</a>')
    expect(page.body).not.toContain('/site.css')
    const framed = await seeForm('?embed=https%3A%2F%2Fwww.example-carers.org.uk')
    expect(framed.body).not.toContain('site-header')
    expect(framed.body).not.toContain('Accessibility statement')
  })

  it('takes a colour only if white text stays readable on it, and puts it in one generated rule', async () => {
    await admin.get('/admin/site')
    const pale = await admin.post('/admin/site', { name: 'Wye Valley Carers', accent: '#ffcc00', compliance: 'partial', problems: '', contact: '', reviewed: '' })
    expect(pale.statusCode).toBe(422)
    expect(pale.body).toContain('White text on #ffcc00 is too hard to read')
    expect(contrastWithWhite('#00574f')).toBeGreaterThan(4.5)
    const saved = await admin.post('/admin/site', { name: 'Wye Valley Carers', accent: '#6a1b9a', compliance: 'partial', problems: 'The printed leaflet is a scanned PDF\nSome older forms lack hints', contact: 'access@wyecarers.example', reviewed: '2026-12-03' })
    expect(saved.statusCode).toBe(303)
    const page = await seeForm()
    const css = /<link rel="stylesheet" href="(\/site\.css\?v=\d+)">/.exec(page.body)?.[1]
    expect(css).toBeDefined()
    const rule = await t.app.inject({ method: 'GET', url: css! })
    expect(rule.headers['content-type']).toContain('text/css')
    expect(rule.body).toBe(':root{--accent:#6a1b9a;--accent-dark:#451264;--panel:#6a1b9a}\n')
    const statement = await t.app.inject({ method: 'GET', url: '/accessibility' })
    expect(statement.body).toContain('Wye Valley Carers wants as many people as possible to be able to use them')
    expect(statement.body).toContain('<li>The printed leaflet is a scanned PDF</li>')
    expect(statement.body).toContain('<a href="mailto:access@wyecarers.example">access@wyecarers.example</a>')
    expect(statement.body).toContain('last reviewed on 2026-12-03')
  })

  it('takes a small PNG or JPEG logo, told by its bytes, and shows it beside the name', async () => {
    await admin.get('/admin/site')
    const upload = (bytes: Buffer, filename: string) => {
      const boundary = '----rf-test-boundary'
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${admin.csrf}\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="logo"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ])
      return t.app.inject({ method: 'POST', url: '/admin/site/logo', payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: [...admin.jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    }
    const broken = await t.app.inject({ method: 'POST', url: '/admin/site/logo', payload: 'not multipart at all', headers: { 'content-type': 'multipart/form-data', cookie: [...admin.jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    expect(broken.statusCode).toBe(400)
    const notAnImage = await upload(Buffer.from('<svg onload="alert(1)"></svg>'), 'logo.png')
    expect(notAnImage.statusCode).toBe(422)
    expect(notAnImage.body).toContain('The logo must be a PNG or a JPEG file')
    const tooBig = await upload(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(300 * 1024)]), 'big.png')
    expect(tooBig.statusCode).toBe(422)
    expect(tooBig.body).toContain('The logo must be smaller than 200 KB')
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a tiny test image')])
    expect((await upload(png, 'logo.png')).statusCode).toBe(303)
    const form = await seeForm()
    const src = /<img class="site-header__logo" src="(\/site-logo\?v=\d+)" alt="">/.exec(form.body)?.[1]
    expect(src).toBeDefined()
    const served = await t.app.inject({ method: 'GET', url: src! })
    expect(served.headers['content-type']).toBe('image/png')
    expect(served.rawPayload.equals(png)).toBe(true)
    await admin.get('/admin/site')
    expect((await admin.post('/admin/site/logo', { remove: 'yes' })).statusCode).toBe(303)
    expect((await seeForm()).body).not.toContain('site-header__logo')
    expect((await t.app.inject({ method: 'GET', url: '/site-logo' })).statusCode).toBe(404)
  })

  it('passes axe on the statement, the settings page and a form in the charity\'s colour', async () => {
    const page = await context.newPage()
    await page.goto(`${base}/accessibility`)
    await expectNoAxeViolations(page, 'the accessibility statement')
    await page.goto(`${base}/forms/carers-referral`)
    await expectNoAxeViolations(page, 'a form with the charity\'s name and colour')
    await signInInBrowser(page, base, 'ada@example.org', ACCOUNT_PASSWORD)
    await page.goto(`${base}/admin/site`)
    await expectNoAxeViolations(page, 'site settings')
    await page.close()
  }, 60_000)
})
