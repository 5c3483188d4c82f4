/**
 * Which alerts a delivery outcome calls for, and how it changes what we know of the CRM's health. Pure:
 * both storage backends run it inside the transaction that records the outcome (OutboxStore.record),
 * so an alert is stored with the event that caused it, or not at all.
 *
 * One email per referral that needs staff (failed, partly delivered), except while the CRM is down or
 * refuses its keys: then one email for the incident, and one "working again" email when a delivery goes
 * through. A CRM is "down" after INCIDENT_AFTER_FAILURES temporary failures in a row (a single time-out
 * is not worth an email: it is retried); it refuses its keys at the first `held` (every referral would be).
 */
import type { DeliveryOutcome, DestinationType } from '../crm/types.js'
import type { CrmIncident, NewAlert } from '../storage/types.js'

export const INCIDENT_AFTER_FAILURES = 3

/**
 * A CRM's health as stored: temporary failures in a row, the open incident if any, and when failures
 * were last cleared by a delivery that went through: an attempt that started before then and fails
 * after (it was already on its way while the CRM came back) is not a new failure in a row.
 */
export interface CrmHealth {
  failures: number
  incident: Pick<CrmIncident, 'kind' | 'opened_at'> | null
  healedAt: number | null
}

export const HEALTHY: CrmHealth = { failures: 0, incident: null, healedAt: null }

export interface OutcomeFacts {
  reference: string
  formId: string
  destination: DestinationType
  outcome: DeliveryOutcome['kind']
  /** The outcome used up the last attempt: the referral is now failed. */
  becameFailed: boolean
  /** When the attempt started. */
  startedAt: number
  at: number
}

const incidentAlert = (destination: DestinationType, kind: 'keys' | 'down', at: number, detail: string = kind): NewAlert =>
  ({ key: `incident:${destination}:${at}`, kind: 'incident', destination, detail, at })

/** The health after `o`, and the alerts to store with it (unique keys: storing one twice changes nothing). */
export function afterOutcome (h: CrmHealth, o: OutcomeFacts): { health: CrmHealth, alerts: NewAlert[] } {
  const alerts: NewAlert[] = []
  const own = (kind: 'failed' | 'partly_delivered'): NewAlert =>
    ({ key: `${kind}:${o.reference}:${o.at}`, kind, reference: o.reference, formId: o.formId, destination: o.destination, at: o.at })
  switch (o.outcome) {
    case 'delivered':
    case 'partly_delivered':
    case 'rejected': {
      // The CRM answered, and took the referral or said what is wrong with it: it is working.
      if (h.incident) alerts.push({ key: `recovered:${o.destination}:${h.incident.opened_at}`, kind: 'recovered', destination: o.destination, detail: h.incident.kind, at: o.at })
      if (o.outcome === 'partly_delivered') alerts.push(own('partly_delivered'))
      if (o.outcome === 'rejected') alerts.push(own('failed'))
      const cleared = h.failures > 0 || h.incident !== null
      return { health: { failures: 0, incident: null, healedAt: cleared ? o.at : h.healedAt }, alerts }
    }
    case 'held': {
      if (h.incident?.kind === 'keys') return { health: h, alerts }
      alerts.push(incidentAlert(o.destination, 'keys', o.at))
      return { health: { ...h, incident: { kind: 'keys', opened_at: o.at } }, alerts }
    }
    case 'retry': {
      if (h.healedAt !== null && o.startedAt < h.healedAt) {
        // Already on its way when a delivery went through: the CRM's health is what that delivery said.
        if (o.becameFailed && !h.incident) alerts.push(own('failed'))
        return { health: h, alerts }
      }
      const failures = h.failures + 1
      let incident = h.incident
      if (!incident && failures >= INCIDENT_AFTER_FAILURES) {
        incident = { kind: 'down', opened_at: o.at }
        alerts.push(incidentAlert(o.destination, 'down', o.at))
      }
      // While an incident is open its email stands for every referral it keeps back.
      if (o.becameFailed && !incident) alerts.push(own('failed'))
      return { health: { ...h, failures, incident }, alerts }
    }
    default: {
      const unexpected: never = o.outcome
      throw new Error(`Unexpected outcome: ${String(unexpected)}`)
    }
  }
}

/** Holding a destination's referrals because its credentials are missing: a keys incident, once. */
export function afterHolding (h: CrmHealth, destination: DestinationType, at: number): { health: CrmHealth, alerts: NewAlert[] } {
  if (h.incident?.kind === 'keys') return { health: h, alerts: [] }
  return { health: { ...h, incident: { kind: 'keys', opened_at: at } }, alerts: [incidentAlert(destination, 'keys', at, 'missing')] }
}

/** A `crm_health` row as both databases give it. */
export interface HealthRow { failures: number, incident_kind: 'keys' | 'down' | null, incident_at: number | null, healed_at: number | null }

export const healthOf = (row: HealthRow): CrmHealth => ({
  failures: row.failures,
  incident: row.incident_kind === null ? null : { kind: row.incident_kind, opened_at: row.incident_at! },
  healedAt: row.healed_at,
})

export const sameHealth = (a: CrmHealth, b: CrmHealth) =>
  a.failures === b.failures && a.incident?.kind === b.incident?.kind && a.incident?.opened_at === b.incident?.opened_at && a.healedAt === b.healedAt
