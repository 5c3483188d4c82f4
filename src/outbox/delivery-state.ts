/**
 * The one table of delivery states. A referral's state is not a column: it is read from the facts
 * recorded about it (house style: derive state from facts), in this order, the first fact that is set
 * deciding. Both the TypeScript function and the SQL the stores filter and count with are made from
 * this table, so the two cannot disagree; so are the states each staff action may start from.
 */

export type DeliveryState = 'quarantined' | 'delivered' | 'handled' | 'partly_delivered' | 'failed' | 'held' | 'waiting'

/** The facts a state is read from (columns of a stored submission). */
export interface DeliveryFacts {
  quarantined_at: number | null
  delivered_at: number | null
  handled_at: number | null
  partly_delivered_at: number | null
  failed_at: number | null
  held_reason: string | null
}

/** First match wins; a row with none of these facts is `waiting`. */
const RULES: ReadonlyArray<{ state: Exclude<DeliveryState, 'waiting'>, fact: keyof DeliveryFacts }> = [
  { state: 'quarantined', fact: 'quarantined_at' },
  { state: 'delivered', fact: 'delivered_at' },
  // Staff put it right by hand (a failed, held or partly delivered referral): never sent again.
  { state: 'handled', fact: 'handled_at' },
  { state: 'partly_delivered', fact: 'partly_delivered_at' },
  { state: 'failed', fact: 'failed_at' },
  { state: 'held', fact: 'held_reason' },
]

/** In the order staff pages list them. */
export const DELIVERY_STATES: readonly DeliveryState[] = ['waiting', 'held', 'delivered', 'failed', 'partly_delivered', 'handled', 'quarantined']

export const isDeliveryState = (s: unknown): s is DeliveryState => typeof s === 'string' && (DELIVERY_STATES as readonly string[]).includes(s)

export function deliveryState (r: DeliveryFacts): DeliveryState {
  for (const { state, fact } of RULES) if (r[fact] !== null && r[fact] !== undefined) return state
  return 'waiting'
}

/** `deliveryState` as an SQL expression over a submissions row, for counting and filtering. */
export const DELIVERY_STATE_SQL = `CASE ${RULES.map((r) => `WHEN ${r.fact} IS NOT NULL THEN '${r.state}'`).join(' ')} ELSE 'waiting' END`

const order = (s: DeliveryState) => (s === 'waiting' ? RULES.length : RULES.findIndex((r) => r.state === s))

/**
 * An SQL condition that holds exactly for rows in one of `states`. A set of the last states in the
 * table's order (`waiting` and those just before it) is written as "none of the earlier facts is set",
 * a plain conjunction, which is what lets SQLite use the partial index on sendable rows.
 */
export function stateInSql (states: readonly DeliveryState[]): string {
  const wanted = [...new Set(states)].map(order).sort((a, b) => a - b)
  if (wanted.length === 0) return '0 = 1'
  const first = wanted[0]!
  const isSuffix = wanted.length === RULES.length + 1 - first
  if (isSuffix) return RULES.slice(0, first).map((r) => `${r.fact} IS NULL`).join(' AND ') || '1 = 1'
  return `(${wanted.map((i) => {
    const earlier = RULES.slice(0, i).map((r) => `${r.fact} IS NULL`)
    const own = i < RULES.length ? [`${RULES[i]!.fact} IS NOT NULL`] : []
    return [...earlier, ...own].join(' AND ')
  }).join(') OR (')})`
}

/** What staff (or the CLI) may do to a referral, and from which states. */
export const ACTIONS = {
  /** Send again now (its answers must still be stored). */
  retry: ['failed', 'held', 'waiting'],
  /** Entered in the CRM by hand: never send it. */
  handle: ['failed', 'held', 'waiting', 'partly_delivered'],
  /** Probable spam judged genuine: send it like any other (its answers must still be stored). */
  release: ['quarantined'],
  /** Probable spam: delete it for good. */
  delete: ['quarantined'],
} as const satisfies Record<string, readonly DeliveryState[]>

export type StaffAction = keyof typeof ACTIONS

export const mayDo = (action: StaffAction, state: DeliveryState): boolean => (ACTIONS[action] as readonly DeliveryState[]).includes(state)

/** States that wait for staff: shown in the banner on every staff page. */
export const NEEDS_STAFF: readonly DeliveryState[] = ['failed', 'held', 'partly_delivered']

/**
 * A delivery attempt is under way: the worker holds an unexpired lease on a waiting row. Staff must
 * not retry it then (clearing the lease could send it twice).
 */
export function inFlight (r: DeliveryFacts & { lease_until: number | null }, now: number): boolean {
  return r.lease_until !== null && r.lease_until > now && deliveryState(r) === 'waiting'
}
