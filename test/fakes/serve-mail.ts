/**
 * `npx tsx test/fakes/serve-mail.ts [port]`: a mail server on 127.0.0.1 for trying email alerts by hand
 * (the tests' own, test/helpers/smtp.ts). Prints the variables that point the server at it on stdout, and
 * every email it takes (to, subject, text) on stderr.
 */
import { smtpEnv, startSmtp } from '../helpers/smtp.js'

const smtp = await startSmtp(Number(process.argv[2] ?? 0))
// A plain MAIL_FROM (no spaces), so the lines can go through `env $(xargs < mail.env)`.
// The daily summary as the server's own DIGEST_TIME says (the tests turn it off).
console.log(Object.entries(smtpEnv(smtp, { MAIL_FROM: 'referrals@charity.example' })).filter(([k]) => k !== 'DIGEST_TIME').map(([k, v]) => `${k}=${v}`).join('\n'))
let seen = 0
setInterval(() => {
  for (; seen < smtp.messages.length; seen++) {
    const m = smtp.messages[seen]!
    console.error(`--- email to ${m.to.join(', ')}\nSubject: ${m.subject}\n\n${m.text}`)
  }
}, 250)
