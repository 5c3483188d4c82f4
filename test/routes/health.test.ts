/** `GET /healthz`: what a load balancer or a monitor asks. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, FIXTURE_FORMS, type TestApp } from '../helpers/app.js'

let t: TestApp
beforeEach(async () => {
  t = await buildTestApp({ formsDir: FIXTURE_FORMS })
})
afterEach(() => t.close())
const get = (url: string) => t.app.inject({ method: 'GET', url })

describe('GET /healthz', () => {
  it('answers 200 with JSON saying the database answers', async () => {
    const res = await get('/healthz')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({ status: 'ok', database: 'ok', forms: 2 })
  })
})
