/** The words of the emails: what each says, in plain text and HTML alike, and what none of them may say. */
import { describe, expect, it } from 'vitest'
import { compose, composeConfirmation, type MessageFacts } from '../../src/alerts/messages.js'
import type { Alert } from '../../src/storage/index.js'

const T = Date.parse('2026-12-03T09:12:00Z')
const alert = (over: Partial<Alert>): Alert => ({
  id: 1, key: 'k', kind: 'test', reference: null, form_id: null, destination: null, detail: null, created_at: T, due_at: T, sent_at: null, attempts: 0, last_error: null, dropped_at: null, ...over,
})
const facts: MessageFacts = {
  publicUrl: 'https://forms.example.org',
  now: Date.parse('2026-12-04T08:00:00Z'),
  formTitle: (id) => (id === 'carers-referral' ? 'Carers <support> & breaks' : undefined),
  waitingFor: async () => 1,
  quarantinedSince: async () => 0,
  counts: async () => ({ waiting: 0, held: 0, delivered: 5, failed: 0, partly_delivered: 0, handled: 0, quarantined: 0 }),
  oldestWaiting: async () => undefined,
  incidents: async () => [],
}

describe('the emails', () => {
  it('a referral that needs staff: the reference, the form and a link, in text and in escaped HTML', async () => {
    const m = await compose(alert({ kind: 'failed', reference: 'K7M2QX9P', form_id: 'carers-referral', destination: 'charitylog' }), facts)
    expect(m.subject).toBe('Referral K7M2QX9P needs staff: it could not be delivered to Charitylog')
    expect(m.text).toContain('Form: Carers <support> & breaks (carers-referral)')
    expect(m.text).toContain('https://forms.example.org/admin/deliveries/K7M2QX9P')
    expect(m.html).toContain('Carers &lt;support&gt; &amp; breaks')
    expect(m.html).toContain('<a href="https://forms.example.org/admin/deliveries/K7M2QX9P">')
    expect(m.text).toContain('no names, answers or contact details')
  })

  it('counts in words that agree: one referral, two referrals', async () => {
    expect((await compose(alert({ kind: 'incident', destination: 'lamplight', detail: 'missing' }), facts)).subject).toBe('Lamplight has no API keys set: 1 referral waiting')
    const two = { ...facts, waitingFor: async () => 2 }
    expect((await compose(alert({ kind: 'incident', destination: 'charitylog', detail: 'down' }), two)).subject).toBe('Charitylog is not answering: 2 referrals waiting')
  })

  it('the daily summary says all is well when it is, and when the oldest waiting referral was made', async () => {
    const m = await compose(alert({ kind: 'digest' }), facts)
    expect(m.subject).toMatch(/^Daily summary, Friday,? 4 December 2026: all is well$/)
    expect(m.text).toContain('No referral is waiting to be sent.')
    const late = await compose(alert({ kind: 'digest' }), { ...facts, oldestWaiting: async () => facts.now - 3 * 24 * 60 * 60 * 1000, counts: async () => ({ ...(await facts.counts()), failed: 2 }) })
    expect(late.subject).toMatch(/: 1 thing for staff$/)
    expect(late.text).toContain('2 referrals failed')
    expect(late.text).toContain('made 3 days ago')
  })

  it('the visitor\'s own email speaks to them, in their language, with nothing meant for staff', () => {
    const en = composeConfirmation('K7M2QX9P', { title: 'Refer yourself', language: 'en' }, undefined)
    expect(en.subject).toBe('We have your referral: K7M2QX9P')
    expect(en.text).toContain('Thank you. We have your referral (Refer yourself).')
    expect(en.text).toContain('What happens next: We will be in touch.')
    expect(en.text).not.toContain('staff')
    const cy = composeConfirmation('K7M2QX9P', { title: 'Atgyfeirio eich hun', language: 'cy' }, 'Gofalwyr Gwy')
    expect(cy.html).toContain('<html lang="cy">')
    expect(cy.text).not.toContain('staff')
  })
})
