/** Today's date (YYYY-MM-DD) where the charity is: UK time, so a date typed at 00:30 BST is not "tomorrow". */
const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
export function ukToday (now: Date): string {
  return fmt.format(now)
}
