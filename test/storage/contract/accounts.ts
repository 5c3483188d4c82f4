/** The AccountStore and SettingsStore contracts: accounts, their secrets, single-use links. */
import { describe, expect, it } from 'vitest'
import { T0, useStorage, type OpenStorage } from './harness.js'

export function accountStoreContract (name: string, open: OpenStorage) {
  describe(`AccountStore (${name})`, () => {
    const storage = useStorage(open)

    it('creates an invited account once per email (whatever its case), finds it by id and email, and lists by name', async () => {
      const { accounts } = await storage()
      expect(await accounts.count()).toBe(0)
      const zoe = (await accounts.create({ email: 'Zoe@Example.org', name: 'Zoë Adams', role: 'editor', now: T0 }))!
      expect(zoe).toEqual({
        id: zoe.id,
        email: 'zoe@example.org',
        name: 'Zoë Adams',
        role: 'editor',
        created_at: T0,
        activated_at: null,
        disabled_at: null,
        last_sign_in_at: null,
        has_password: false,
        totp_enabled_at: null,
        recovery_codes_left: 0,
      })
      expect(await accounts.create({ email: 'zoe@example.ORG', name: 'Other', role: 'admin', now: T0 })).toBeUndefined()
      await accounts.create({ email: 'al@example.org', name: 'al Brown', role: 'caseworker', now: T0 })
      expect(await accounts.findByEmail('ZOE@example.org')).toEqual(zoe)
      expect(await accounts.findById(zoe.id)).toEqual(zoe)
      expect(await accounts.findById(9999)).toBeUndefined()
      expect((await accounts.list()).map((a) => a.name)).toEqual(['al Brown', 'Zoë Adams'])
      expect(await accounts.count()).toBe(2)
    })

    it('activates with a password, changes role, disables and enables, and records sign-ins', async () => {
      const { accounts } = await storage()
      const a = (await accounts.create({ email: 'a@example.org', name: 'A', role: 'caseworker', now: T0 }))!
      expect(await accounts.passwordHash(a.id)).toBeUndefined()
      await accounts.setPassword(a.id, '$argon2id$hash-1', T0 + 10)
      await accounts.setPassword(a.id, '$argon2id$hash-2', T0 + 20)
      expect(await accounts.passwordHash(a.id)).toBe('$argon2id$hash-2')
      await accounts.setRole(a.id, 'admin')
      await accounts.recordSignIn(a.id, T0 + 30)
      expect(await accounts.findById(a.id)).toMatchObject({ has_password: true, activated_at: T0 + 10, role: 'admin', last_sign_in_at: T0 + 30 })
      await accounts.setDisabled(a.id, true, T0 + 40)
      expect((await accounts.findById(a.id))?.disabled_at).toBe(T0 + 40)
      await accounts.setDisabled(a.id, false, T0 + 50)
      expect((await accounts.findById(a.id))?.disabled_at).toBeNull()
    })

    it('links an SSO identity, found by issuer and subject only', async () => {
      const { accounts } = await storage()
      const a = (await accounts.create({ email: 'a@example.org', name: 'A', role: 'caseworker', now: T0 }))!
      await accounts.linkSso(a.id, 'https://login.example', 'sub-1', T0 + 5)
      expect(await accounts.findBySsoSubject('https://login.example', 'sub-1')).toMatchObject({ id: a.id, activated_at: T0 + 5 })
      expect(await accounts.findBySsoSubject('https://other.example', 'sub-1')).toBeUndefined()
    })

    it('keeps a TOTP secret to give back, accepts each time step once and only forward, and spends recovery codes once', async () => {
      const { accounts } = await storage()
      const a = (await accounts.create({ email: 'a@example.org', name: 'A', role: 'admin', now: T0 }))!
      expect(await accounts.totpSecret(a.id)).toBeUndefined()
      await accounts.setTotp(a.id, { secret: 'JBSWY3DPEHPK3PXP', recoveryHashes: ['h1', 'h2'] }, T0)
      expect(await accounts.totpSecret(a.id)).toBe('JBSWY3DPEHPK3PXP')
      expect(await accounts.findById(a.id)).toMatchObject({ totp_enabled_at: T0, recovery_codes_left: 2 })
      expect(await accounts.useTotpStep(a.id, 100)).toBe(true)
      expect(await accounts.useTotpStep(a.id, 100)).toBe(false)
      expect(await accounts.useTotpStep(a.id, 99)).toBe(false)
      expect(await accounts.useTotpStep(a.id, 101)).toBe(true)
      expect(await accounts.useRecoveryCode(a.id, 'h1')).toBe(true)
      expect(await accounts.useRecoveryCode(a.id, 'h1')).toBe(false)
      expect(await accounts.useRecoveryCode(a.id, 'nope')).toBe(false)
      expect((await accounts.findById(a.id))?.recovery_codes_left).toBe(1)
      await accounts.setTotp(a.id, null, T0)
      expect(await accounts.totpSecret(a.id)).toBeUndefined()
      expect(await accounts.findById(a.id)).toMatchObject({ totp_enabled_at: null, recovery_codes_left: 0 })
    })

    it('reads a single-use link until it is spent or expires; a new one of the same purpose replaces the old', async () => {
      const { accounts } = await storage()
      const a = (await accounts.create({ email: 'a@example.org', name: 'A', role: 'admin', now: T0 }))!
      await accounts.issueToken({ accountId: a.id, purpose: 'invitation', tokenHash: 'old', expiresAt: T0 + 1000 })
      await accounts.issueToken({ accountId: a.id, purpose: 'invitation', tokenHash: 'new', expiresAt: T0 + 1000 })
      await accounts.issueToken({ accountId: a.id, purpose: 'reset', tokenHash: 'reset', expiresAt: T0 + 1000 })
      expect(await accounts.readToken('old', 'invitation', T0, false)).toBeUndefined()
      expect(await accounts.readToken('new', 'reset', T0, false)).toBeUndefined()
      expect(await accounts.readToken('new', 'invitation', T0 + 1000, false)).toBeUndefined()
      expect(await accounts.readToken('new', 'invitation', T0, false)).toBe(a.id)
      expect(await accounts.readToken('new', 'invitation', T0, true)).toBe(a.id)
      expect(await accounts.readToken('new', 'invitation', T0, true)).toBeUndefined()
      expect(await accounts.readToken('reset', 'reset', T0, true)).toBe(a.id)
    })
  })

  describe(`SettingsStore (${name})`, () => {
    const storage = useStorage(open)
    it('gives back what was set, the last value winning', async () => {
      const { settings } = await storage()
      expect(await settings.get('require_2fa')).toBeUndefined()
      await settings.set('require_2fa', 'yes')
      await settings.set('require_2fa', 'no')
      expect(await settings.get('require_2fa')).toBe('no')
    })
  })
}
