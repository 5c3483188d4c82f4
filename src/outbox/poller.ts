/**
 * "Look at the queue now, or in a while": one look at a time, a look asked for while one runs happens
 * right after it, and a sleep never longer than `pollMs`. The delivery worker and the mail worker both
 * look this way; what a look does is theirs.
 */
import { performance } from 'node:perf_hooks'

export interface Poller {
  /** Looks in `delay` ms (at most `pollMs`), unless a look is already due sooner. Does nothing when stopped. */
  schedule (delay: number): void
  start (): void
  /** No more looks; the one under way, if any, is `current`. */
  stop (): void
  readonly running: boolean
  /** The look under way, if any. */
  readonly current: Promise<void> | undefined
}

/**
 * `look` may throw: `failed` is told (to say so once per outage) and another look comes after `pollMs`;
 * `recovered` is told at the first look that works after one that failed.
 */
export function createPoller (pollMs: number, look: () => Promise<void>, failed: (err: unknown, first: boolean) => void, recovered?: () => void): Poller {
  let timer: NodeJS.Timeout | undefined
  let timerDue = 0
  let running = false
  let looking: Promise<void> | undefined
  let lookAgain = false
  let failing = false

  function schedule (delay: number) {
    if (!running) return
    const wait = Math.max(0, Math.min(delay, pollMs))
    const due = performance.now() + wait
    if (timer && timerDue <= due) return
    if (timer) clearTimeout(timer)
    timerDue = due
    timer = setTimeout(tick, wait)
  }

  function tick () {
    timer = undefined
    if (!running) return
    if (looking) {
      lookAgain = true
      return
    }
    looking = look().then(() => {
      if (failing) recovered?.()
      failing = false
    }, (err: unknown) => {
      failed(err, !failing)
      failing = true
      schedule(pollMs)
    }).finally(() => {
      looking = undefined
      if (lookAgain) {
        lookAgain = false
        schedule(0)
      }
    })
  }

  return {
    schedule,
    start () { running = true },
    stop () {
      running = false
      if (timer) clearTimeout(timer)
      timer = undefined
    },
    get running () { return running },
    get current () { return looking },
  }
}
