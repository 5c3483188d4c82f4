/** Plain words for the staff pages: times in UK time, delivery states as staff say them. */
import type { DeliveryState } from '../outbox/delivery-state.js'

const UK_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
})

/** `15 Jun 2026, 13:00` (UK time), or `-` for no time. */
export function ukTime (ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : UK_TIME.format(new Date(ms))
}

/** For a `<time datetime>` attribute. */
export function isoTime (ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString()
}

export const STATE_LABELS: Record<DeliveryState, string> = {
  waiting: 'Waiting',
  held: 'Held',
  delivered: 'Delivered',
  failed: 'Failed',
  partly_delivered: 'Partly delivered',
  handled: 'Handled by hand',
  quarantined: 'Quarantined',
}

export const STATE_HINTS: Record<DeliveryState, string> = {
  waiting: 'Stored; will be sent when due.',
  held: 'A configuration problem (missing or refused credentials). Put it right, then retry.',
  delivered: 'The CRM accepted it.',
  failed: 'The CRM rejected it, or every attempt failed. Retry after putting it right, or enter it by hand.',
  partly_delivered: 'Lamplight saved the person but not some custom fields: finish it in Lamplight, then mark it as handled.',
  handled: 'Staff entered it by hand; it will not be sent.',
  quarantined: 'Probable spam: never sent unless released.',
}

/** What one delivery attempt came to (delivery_attempts.outcome), in plain words. */
export const OUTCOME_LABELS: Record<string, string> = {
  delivered: 'Delivered',
  partly_delivered: 'Partly delivered',
  retry: 'Not delivered; tried again later',
  held: 'Held: a configuration problem',
  rejected: 'Refused by the CRM',
}

/** The record IDs a CRM returned (`{"attendee":600,"referral":30939}`) as `attendee 600, referral 30939`. */
export function crmIdsText (json: string | null): string | undefined {
  if (json === null) return undefined
  try {
    const ids = JSON.parse(json) as Record<string, string | number>
    const parts = Object.entries(ids).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    return parts.length > 0 ? parts.join(', ') : undefined
  } catch {
    return json
  }
}
