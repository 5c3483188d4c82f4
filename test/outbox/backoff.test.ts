import { describe, expect, it } from 'vitest'
import { MAX_DELAY_MS, retryDelay } from '../../src/outbox/backoff.js'

/** random = 0.5 is the middle of the jitter band: no jitter at all. */
const MID = 0.5

describe('retry backoff', () => {
  it('waits the base delay after the first failure and doubles after each further one', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, 30_000, MID))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000])
    expect([1, 2, 3].map((n) => retryDelay(n, 20, MID))).toEqual([20, 40, 80])
  })

  it('never waits more than one hour, however many attempts have failed', () => {
    expect(MAX_DELAY_MS).toBe(3_600_000)
    expect(retryDelay(8, 30_000, MID)).toBe(3_600_000)
    for (const attempts of [7, 8, 20, 60, 1000, 1e9]) {
      for (const random of [0, 0.5, 0.999999]) expect(retryDelay(attempts, 30_000, random)).toBeLessThanOrEqual(MAX_DELAY_MS)
    }
    expect(retryDelay(1000, 30_000, 0)).toBe(0.8 * MAX_DELAY_MS)
  })

  it('spreads each delay by ±20 % jitter and stays a whole number of milliseconds', () => {
    expect(retryDelay(1, 1000, 0)).toBe(800)
    expect(retryDelay(1, 1000, 0.999999)).toBe(1200)
    expect(retryDelay(3, 1000, 0.25)).toBe(3600)
    for (let i = 0; i < 200; i++) {
      const d = retryDelay(4, 777)
      expect(Number.isInteger(d)).toBe(true)
      expect(d).toBeGreaterThanOrEqual(Math.round(777 * 8 * 0.8))
      expect(d).toBeLessThanOrEqual(Math.round(777 * 8 * 1.2))
    }
  })

  it('treats zero or negative attempts like the first failure', () => {
    expect(retryDelay(0, 500, MID)).toBe(500)
    expect(retryDelay(-3, 500, MID)).toBe(500)
  })

  it('spans about fourteen hours with the default 30 s base and 20 attempts, as the comment says', () => {
    let total = 0
    for (let n = 1; n < 20; n++) total += retryDelay(n, 30_000, MID)
    expect(total / 3_600_000).toBeGreaterThan(13)
    expect(total / 3_600_000).toBeLessThan(15)
  })
})
