/**
 * UK wall-clock times as instants, for the daily digest ("08:00 UK time" is 08:00 GMT in winter and
 * 08:00 BST in summer). Intl knows the rules; this only asks it the offset at a moment.
 */
const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
})

/** UK time's offset from UTC at instant `t`, in ms (0 in winter, one hour in summer). */
export function ukOffsetMs (t: number): number {
  const p = Object.fromEntries(parts.formatToParts(new Date(t)).map((x) => [x.type, x.value]))
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  return wall - Math.floor(t / 1000) * 1000
}

/** The date (YYYY-MM-DD) in the UK at instant `t`. */
export function ukDate (t: number): string {
  return new Date(t + ukOffsetMs(t)).toISOString().slice(0, 10)
}

/**
 * The instant the UK clock shows `hh:mm` on `date`. A time the clocks skip (01:30 on the last Sunday of
 * March) is the same moment an hour later by the new clock; a time they show twice (01:30 on the last
 * Sunday of October) is its first showing.
 */
export function ukTimeOn (date: string, hh: number, mm: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wall = Date.UTC(y, m - 1, d, hh, mm)
  // The earlier of the two offsets that could apply gives the first showing; a skipped time has neither.
  for (const guess of [wall - 60 * 60 * 1000, wall]) {
    if (guess + ukOffsetMs(guess) === wall) return guess
  }
  // Skipped: read by the clock in force just before the change, that moment shows an hour later.
  return wall - ukOffsetMs(wall - 3 * 60 * 60 * 1000)
}
