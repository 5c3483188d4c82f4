import { describe, expect, it } from 'vitest'
import { ukDate, ukTimeOn } from '../../src/alerts/uk-time.js'

const at = (iso: string) => Date.parse(iso)

describe('UK time for the daily digest', () => {
  it('08:00 is 08:00 GMT in winter and 07:00 UTC in summer', () => {
    expect(ukTimeOn('2026-12-03', 8, 0)).toBe(at('2026-12-03T08:00:00Z'))
    expect(ukTimeOn('2026-07-01', 8, 0)).toBe(at('2026-07-01T07:00:00Z'))
  })

  it('on the days the clocks change', () => {
    // 29 March 2026: 01:00 GMT becomes 02:00 BST. 08:00 is BST; 01:30 does not exist and is taken as 02:30 BST.
    expect(ukTimeOn('2026-03-29', 8, 0)).toBe(at('2026-03-29T07:00:00Z'))
    expect(ukTimeOn('2026-03-29', 0, 30)).toBe(at('2026-03-29T00:30:00Z'))
    expect(ukTimeOn('2026-03-29', 1, 30)).toBe(at('2026-03-29T01:30:00Z'))
    // 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice: the first (BST) one.
    expect(ukTimeOn('2026-10-25', 1, 30)).toBe(at('2026-10-25T00:30:00Z'))
    expect(ukTimeOn('2026-10-25', 8, 0)).toBe(at('2026-10-25T08:00:00Z'))
  })

  it('the UK date turns at UK midnight, not UTC midnight', () => {
    expect(ukDate(at('2026-07-01T23:30:00Z'))).toBe('2026-07-02')
    expect(ukDate(at('2026-12-01T23:30:00Z'))).toBe('2026-12-01')
    expect(ukDate(at('2026-12-02T00:00:00Z'))).toBe('2026-12-02')
  })
})
