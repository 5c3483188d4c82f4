/**
 * Sending email by SMTP with nodemailer. One message per alert, to all its recipients at once, so an
 * alert is one email or none. Errors come back as a sentence for the staff page (never the password,
 * never a recipient's address) and whether trying again could help.
 */
import type { Transporter } from 'nodemailer'
import type { MailConfig } from '../config.js'

export interface Email {
  to: string[]
  subject: string
  text: string
  html: string
}

export interface Mailer {
  send (email: Email): Promise<void>
  /** Connects and signs in without sending (the staff page's check). */
  verify (): Promise<void>
  close (): void
}

/** A failed send: `permanent` when the server refused the message itself (a 5xx after it was given). */
export class MailError extends Error {
  override name = 'MailError'
  constructor (message: string, readonly permanent: boolean) {
    super(message)
  }
}

/** nodemailer's errors as one plain sentence each; the server's own text is left out (it can repeat an address). */
export function mailError (err: unknown): MailError {
  const e = err as { code?: string, responseCode?: number }
  const code = e.responseCode
  if (e.code === 'EAUTH') return new MailError(`The mail server refused our user name or password${code ? ` (${code})` : ''}: check SMTP_USER and SMTP_PASSWORD`, false)
  if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new MailError(`The mail server could not be reached (${e.code === 'ETIMEDOUT' ? 'it did not answer in time' : 'the connection failed'}): it may be down; will try again`, false)
  }
  if (e.code === 'ETLS') return new MailError('The mail server\'s TLS did not work (check SMTP_TLS and SMTP_PORT); will try again', false)
  if (code !== undefined && code >= 500) return new MailError(`The mail server refused the email for good (${code})`, true)
  if (code !== undefined) return new MailError(`The mail server could not take the email now (${code}); will try again`, false)
  return new MailError(`The email could not be sent (${e.code ?? 'unknown error'}); will try again`, false)
}

/** Loads nodemailer only when a mail server is set: without one, its modules cost the server memory for nothing (docs/performance.md, the RSS row). */
export async function createMailer (mail: MailConfig): Promise<Mailer> {
  const { default: nodemailer } = await import('nodemailer')
  const { smtp } = mail
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'tls',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'off',
    ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Nothing of a conversation with the mail server goes to the log (it holds addresses).
    logger: false,
    debug: false,
  })
  return {
    async send (email) {
      try {
        await transport.sendMail({ from: mail.from, to: email.to, subject: email.subject, text: email.text, html: email.html })
      } catch (err) {
        throw mailError(err)
      }
    },
    async verify () {
      try {
        await transport.verify()
      } catch (err) {
        throw mailError(err)
      }
    },
    close: () => transport.close(),
  }
}
