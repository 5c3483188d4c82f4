/**
 * The kinds of email alert, the choices staff make among them, and who gets which by default.
 * Staff choose topics, not kinds: "referrals that need staff" covers failed and partly delivered.
 */
import type { AlertKind, Role } from '../storage/types.js'

export type AlertTopic = 'needs_staff' | 'incidents' | 'spam' | 'new_referrals' | 'digest'

export const TOPICS: readonly AlertTopic[] = ['needs_staff', 'incidents', 'spam', 'new_referrals', 'digest']

export const TOPIC_LABELS: Record<AlertTopic, { label: string, hint: string }> = {
  needs_staff: { label: 'A referral needs staff', hint: 'One email for each referral that failed or was only partly delivered.' },
  incidents: { label: 'A CRM is down or refuses our keys', hint: 'One email when it starts, one when deliveries work again.' },
  spam: { label: 'Probable spam was kept back', hint: 'At most one email an hour.' },
  new_referrals: { label: 'A new referral arrived', hint: 'Only for forms that ask for it (alerts: new_referrals: true).' },
  digest: { label: 'The daily summary', hint: 'Every day, even when all is well: if it stops coming, the server is down.' },
}

/** The staff alerts' topics (a test email and a visitor's confirmation go to one address of their own). */
export const TOPIC_OF: Record<Exclude<AlertKind, 'test' | 'confirmation'>, AlertTopic> = {
  failed: 'needs_staff',
  partly_delivered: 'needs_staff',
  incident: 'incidents',
  recovered: 'incidents',
  quarantined: 'spam',
  new_referral: 'new_referrals',
  digest: 'digest',
}

/** What a role gets until the account chooses (My account → Email alerts). */
export const ROLE_TOPICS: Record<Role, readonly AlertTopic[]> = {
  admin: ['needs_staff', 'incidents', 'spam', 'digest'],
  caseworker: ['needs_staff', 'spam', 'new_referrals', 'digest'],
  editor: ['incidents', 'digest'],
}

export const isTopic = (s: unknown): s is AlertTopic => typeof s === 'string' && (TOPICS as readonly string[]).includes(s)

/** A key ending so gathers events until its alert is sent (AlertStore). */
export const PENDING_SUFFIX = ':pending'
export const SPAM_PENDING_KEY = `quarantined${PENDING_SUFFIX}`
/** Probable spam: at most one email in this time. */
export const SPAM_ALERT_EVERY_MS = 60 * 60 * 1000
