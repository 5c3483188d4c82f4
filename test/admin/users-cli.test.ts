/** `npm run users -- create-admin EMAIL [NAME]` and `list`: the first admin of a fresh install, made on the server. */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { passwordMatchesHash } from '../../src/admin/passwords.js'
import { openStorage } from '../../src/storage/index.js'
import { tempDir } from '../helpers/app.js'
import { cleanEnv, ROOT } from '../helpers/child-server.js'

const dataDir = tempDir('rf-users-')
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

function users (args: string[], input: string): Promise<{ code: number | null, out: string, err: string }> {
  const child = spawn('npm', ['run', '--silent', 'users', '--', ...args], { cwd: ROOT, env: cleanEnv({ DATA_DIR: dataDir }), stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })))
}

describe('npm run users', () => {
  it('makes an admin with the password read from standard input, never from the command line', async () => {
    const made = await users(['create-admin', 'Jane@Example.org', 'Jane', 'Smith'], 'a long walk by the river wye\n')
    expect(made).toMatchObject({ code: 0, err: '' })
    expect(made.out).toContain('Made jane@example.org an admin.')
    const storage = await openStorage({ dataDir, secret: 'unused-because-the-key-file-exists-now!!' })
    try {
      const a = await storage.accounts.findByEmail('jane@example.org')
      expect(a).toMatchObject({ name: 'Jane Smith', role: 'admin', has_password: true })
      expect(await passwordMatchesHash('a long walk by the river wye', await storage.accounts.passwordHash(a!.id))).toBe(true)
    } finally {
      await storage.close()
    }
    expect((await users(['list'], '')).out).toBe('jane@example.org\tJane Smith\tAdmin\tactive\n')
  }, 60_000)

  it('refuses a common password, a second account for one email and a bad email, in one plain sentence', async () => {
    expect(await users(['create-admin', 'bob@example.org'], 'password1234\n')).toMatchObject({ code: 1, err: 'That password is one of the most common ones, which are tried first: choose another\n' })
    expect((await users(['create-admin', 'jane@example.org'], 'another long password\n')).err).toMatch(/^There is already an account for jane@example.org/)
    expect((await users(['create-admin', 'not-an-email'], 'x\n')).err).toBe('not-an-email is not an email address: give one like you@example.org\n')
  }, 60_000)
})
