/**
 * The whole suite's record of emails sent and of the personal data of the test referrals, for the scan
 * at the end of the run (test/global/mail-scan.ts): no email may hold an answer, a name, an email address
 * or a phone number of a referral. Each test process appends to its own files in a folder the global
 * set-up made (RF_MAIL_LOG); without it (a file run on its own) nothing is recorded.
 */
import { appendFileSync } from 'node:fs'
import path from 'node:path'

export interface LoggedMail { subject: string, text: string, html: string }

const dir = () => process.env.RF_MAIL_LOG

export function logMail (m: LoggedMail): void {
  const d = dir()
  if (d) appendFileSync(path.join(d, `mail-${process.pid}.jsonl`), `${JSON.stringify(m)}\n`)
}

/** Values too short or too common to be personal data ("1", "yes", "GP", a form's option values). */
const isTechnical = (v: string) => v.length < 4 || /^(yes|no|true|false|high|medium|low|\d{1,4})$/i.test(v)

/** Records the answers of a referral a test sent (the values of a form body), for the end-of-run scan. */
export function logPersonalData (values: Iterable<string>): void {
  const d = dir()
  if (!d) return
  const kept = [...values].map((v) => v.trim()).filter((v) => !isTechnical(v))
  if (kept.length > 0) appendFileSync(path.join(d, `pii-${process.pid}.jsonl`), `${JSON.stringify(kept)}\n`)
}

const EMAIL = /[^\s<>()@,;:"]+@[^\s<>()@,;:"]+\.[a-z]{2,}/i
const PHONE = /(?:\+44\s?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b/

/** What in an email is personal data: any of `personal` (case-insensitive), any email address, any phone number. */
export function personalDataIn (m: LoggedMail, personal: Iterable<string>): string[] {
  // The HTML's markup is not content: its text, with entities read, is.
  const html = m.html.replace(/<[^>]*>/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, '\'')
  const content = [m.subject, m.text, html].join('\n')
  const lower = content.toLowerCase()
  const found: string[] = []
  for (const p of personal) if (lower.includes(p.toLowerCase())) found.push(`answer "${p}"`)
  // Links to the staff pages are fine; an address or a number is not.
  const withoutLinks = content.replace(/https?:\/\/\S+/g, ' ')
  const email = EMAIL.exec(withoutLinks)
  if (email) found.push(`email address ${email[0]}`)
  const phone = PHONE.exec(withoutLinks)
  if (phone) found.push(`phone number ${phone[0]}`)
  return found
}
