/** The end-of-run scan for personal data in emails (test/global/mail-scan.ts) must be able to fail. */
import { describe, expect, it } from 'vitest'
import { personalDataIn } from '../helpers/mail-log.js'

const clean = { subject: 'Referral ABCD2345 needs staff', text: 'Reference: ABCD2345\nhttps://forms.example.org/admin/deliveries/ABCD2345\n08:00, 3 December 2026: 12 waiting', html: '<p><a href="https://forms.example.org/admin">Open</a></p>' }

describe('the scan of emails for personal data', () => {
  it('passes an email with a reference, a link, times and counts', () => {
    expect(personalDataIn(clean, ['Marigold', 'Thistlewood'])).toEqual([])
  })

  it('finds an answer (in any case), in the subject, the text or the HTML with its entities read', () => {
    expect(personalDataIn({ ...clean, subject: 'About marigold' }, ['Marigold'])).toEqual(['answer "Marigold"'])
    expect(personalDataIn({ ...clean, html: '<p>Tom &amp; Jerry</p>' }, ['Tom & Jerry'])).toEqual(['answer "Tom & Jerry"'])
  })

  it('finds any email address or phone number, whoever it belongs to', () => {
    expect(personalDataIn({ ...clean, text: 'Write to ann@example.org' }, [])).toEqual(['email address ann@example.org'])
    expect(personalDataIn({ ...clean, text: 'Ring 01989 567890' }, [])).toEqual(['phone number 01989 567890'])
    expect(personalDataIn({ ...clean, text: 'Ring +44 7700 900982' }, [])).toEqual(['phone number +44 7700 900982'])
  })
})
