/**
 * A real SMTP server for the tests (the smtp-server package), on 127.0.0.1 without TLS, recording each
 * email it takes, parsed (mailparser). It can be stopped and started again on the same port (a mail
 * server down, then back) and told to refuse recipients for good (550).
 */
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { logMail } from './mail-log.js'
import { freePort } from './net.js'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  text: string
  html: string
}

export interface TestSmtp {
  port: number
  messages: ReceivedMail[]
  /** Refuse every recipient with 550 until told otherwise. */
  refuseRecipients: boolean
  stop (): Promise<void>
  start (): Promise<void>
  close (): Promise<void>
  /** Resolves when `n` messages have come, or fails after `timeoutMs`. */
  waitFor (n: number, timeoutMs?: number): Promise<ReceivedMail[]>
}

/** On `port`, or any free one. */
export async function startSmtp (listenPort = 0): Promise<TestSmtp> {
  const port = listenPort || await freePort()
  const messages: ReceivedMail[] = []
  let server: SMTPServer | undefined
  const t: TestSmtp = {
    port,
    messages,
    refuseRecipients: false,
    async start () {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onRcptTo (_address, _session, callback) {
          if (!t.refuseRecipients) return callback()
          const err = Object.assign(new Error('No such mailbox here'), { responseCode: 550 })
          callback(err)
        },
        onData (stream, session, callback) {
          simpleParser(stream).then((mail) => {
            const m: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
            }
            messages.push(m)
            logMail({ subject: m.subject, text: m.text, html: m.html })
            callback()
          }, callback)
        },
      })
      const s = server
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(port, '127.0.0.1', () => resolve())
      })
      s.on('error', () => {})
    },
    async stop () {
      const s = server
      server = undefined
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
    },
    close: () => t.stop(),
    async waitFor (n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${n} email(s); got ${messages.length}: ${messages.map((m) => m.subject).join(' | ')}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return messages
    },
  }
  await t.start()
  return t
}

/**
 * The settings that point the server at `smtp`, with ALERT_EMAILS set, and no daily summary unless a
 * test sets DIGEST_TIME (at 08:00 it would add an email to any test run after 8 in the morning).
 */
export function smtpEnv (smtp: Pick<TestSmtp, 'port'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_TLS: 'off',
    MAIL_FROM: 'Referral forms <referrals@charity.example>',
    ALERT_EMAILS: 'team@charity.example',
    DIGEST_TIME: 'off',
    ...extra,
  }
}
