/**
 * `npm run users -- create-admin EMAIL [NAME]`: makes the first admin account (or another), asking for
 * its password on the terminal, or reading it from the first line of standard input when piped (no
 * password on the command line, where the shell's history and `ps` would keep it). The new admin
 * then signs in on the staff pages and invites everyone else. `npm run users -- list` lists accounts.
 * Once an account exists, the shared ADMIN_PASSWORD no longer opens the staff pages.
 */
import { createInterface } from 'node:readline'
import { hashPassword, passwordProblem } from '../admin/passwords.js'
import { ROLE_LABELS } from '../admin/roles.js'
import { openConfigured, runCli } from '../environment.js'

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/

/** The password, typed without echo on a terminal, or the first line of piped input. */
async function readPassword (prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin })
    const first = await new Promise<string>((resolve) => {
      rl.once('line', resolve)
      rl.once('close', () => resolve(''))
    })
    rl.close()
    return first
  }
  process.stdout.write(prompt)
  const rl = createInterface({ input: process.stdin, output: undefined, terminal: true })
  return new Promise((resolve) => rl.question('', (answer) => { rl.close(); process.stdout.write('\n'); resolve(answer) }))
}

async function main (): Promise<number> {
  const { config, storage } = await openConfigured()
  try {
    const [command, emailArg, ...nameWords] = process.argv.slice(2)
    if (command === 'list') {
      for (const a of await storage.accounts.list()) {
        console.log([a.email, a.name, ROLE_LABELS[a.role], a.disabled_at ? 'disabled' : a.activated_at ? 'active' : 'invited'].join('\t'))
      }
      return 0
    }
    if (command !== 'create-admin' || !emailArg) {
      console.error('Usage: npm run users -- create-admin EMAIL [NAME] | list')
      return 2
    }
    const email = emailArg.trim().toLowerCase()
    if (!EMAIL.test(email)) {
      console.error(`${emailArg} is not an email address: give one like you@example.org`)
      return 1
    }
    const name = nameWords.join(' ').trim() || email.split('@')[0]!
    if (await storage.accounts.findByEmail(email)) {
      console.error(`There is already an account for ${email}: sign in with it, or ask an admin for a new password link`)
      return 1
    }
    const password = await readPassword(`Password for ${email} (at least 12 characters): `)
    const problem = passwordProblem(password, { email, name })
    if (problem) {
      console.error(problem)
      return 1
    }
    const account = await storage.accounts.create({ email, name, role: 'admin', now: Date.now() })
    if (!account) {
      console.error(`There is already an account for ${email}`)
      return 1
    }
    await storage.accounts.setPassword(account.id, await hashPassword(password), Date.now())
    await storage.audit.record({ at: Date.now(), actor: 'npm run users', action: 'account invited', subject: email, detail: 'admin made on the server' })
    console.log(`Made ${email} an admin. Sign in at ${config.publicUrl}/admin; the shared ADMIN_PASSWORD no longer works.`)
    return 0
  } finally {
    await storage.close()
  }
}

runCli(main)
