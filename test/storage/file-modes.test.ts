/**
 * DATA_DIR is the server's alone (issue 17, point 5): made 0700 with its files 0600, and a folder or
 * file that others may read is reported at start, without changing it.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildTestApp, tempDir, type TestApp } from '../helpers/app.js'

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8)
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0)) await c() })

describe('DATA_DIR', () => {
  it('is made owner-only, folder and files, when the server creates it', async () => {
    const parent = tempDir('rf-modes-')
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }))
    const dataDir = path.join(parent, 'data')
    const t: TestApp = await buildTestApp({ dataDir })
    cleanups.push(() => t.close())
    await t.app.inject('/forms/carers-referral') // the worker and the database are up
    expect(mode(dataDir)).toBe('700')
    const files = readdirSync(dataDir)
    expect(files).toEqual(expect.arrayContaining(['referrals.db', 'referrals.db-wal', 'referrals.db-shm', 'secret.key', 'server.lock']))
    for (const f of files) expect(`${f} ${mode(path.join(dataDir, f))}`).toBe(`${f} 600`)
    expect(t.logs.join('')).not.toContain('can be read by other users')
  })

  it('says at start which existing folder or file others can read, and how to put it right', async () => {
    const dataDir = tempDir('rf-modes-')
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    mkdirSync(dataDir, { recursive: true })
    chmodSync(dataDir, 0o755)
    const first = await buildTestApp({ dataDir })
    await first.close()
    chmodSync(path.join(dataDir, 'referrals.db'), 0o644)
    const t = await buildTestApp({ dataDir })
    cleanups.push(() => t.close())
    const log = t.logs.join('')
    expect(log).toContain(`can be read by other users of this machine (mode 755): run chmod 700 ${dataDir}`)
    expect(log).toContain(`referrals.db in DATA_DIR can be read by other users of this machine (mode 644): run chmod 600 ${path.join(dataDir, 'referrals.db')}`)
    expect(mode(dataDir)).toBe('755') // reported, not changed
  })
})
