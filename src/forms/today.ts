/** Today's date (YYYY-MM-DD) where the charity is: UK time, so a date typed at 00:30 BST is not "tomorrow". */
const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
let last: { minute: number, day: string } | undefined
export function ukToday (now: Date): string {
  // UK time is whole hours from UTC, so the date only changes on a minute boundary: one format per
  // minute instead of two per submission (docs/performance.md).
  const minute = Math.floor(now.getTime() / 60_000)
  if (last?.minute !== minute) last = { minute, day: fmt.format(now) }
  return last.day
}
