/**
 * When to try again: RETRY_BASE_DELAY_MS after the first failure, doubling each time, capped at one
 * hour, with ±20 % jitter so a CRM coming back is not hit by every waiting referral at once.
 * With the defaults (30 s, 20 attempts) the attempts span about 14 hours: 30 s, 1, 2, 4, 8, 16 and
 * 32 minutes, then hourly.
 */
export const MAX_DELAY_MS = 60 * 60 * 1000

/** Delay before attempt `attempts + 1`, after `attempts` (≥ 1) failed ones. `random` in [0, 1). */
export function retryDelay (attempts: number, baseMs: number, random: number = Math.random()): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30)
  const capped = Math.min(exponential, MAX_DELAY_MS)
  return Math.round(Math.min(capped * (0.8 + 0.4 * random), MAX_DELAY_MS))
}
