/**
 * The ops CLI (`npm run outbox -- list|show <ref>|retry <ref>`) on the data folder of a running app:
 * what staff see, that it shows no personal data, and that a retry makes a failed referral due again.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliveryState } from '../../src/outbox/delivery-state.js'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { EXAMPLE_FORMS, tempDir, type TestApp } from '../helpers/app.js'
import { runNpm, runTs } from '../helpers/child-server.js'
import { buildRelayApp, carersBody, charitylogEnv, FAST_RELAY, isDelivered, rowOf, submit, waitForRow } from '../helpers/relay.js'

const FAILED = { first: 'Morwenna', surname: 'Trelawney' }
const DELIVERED = { first: 'Evander', surname: 'Ashcombe' }

describe('the ops CLI', () => {
  const dataDir = tempDir()
  const env = { DATA_DIR: dataDir, FORMS_DIR: EXAMPLE_FORMS }
  /** The script behind `npm run outbox`, run directly (npm itself adds ~0.7 s a call; one test goes through npm). */
  const cli = async (...args: string[]) => {
    const run = runTs('src/cli/outbox.ts', args, env)
    const code = await run.exited
    return { code, output: run.output.join('') }
  }
  let fake: FakeCharitylog
  let t: TestApp
  let failed = ''
  let delivered = ''
  type Run = { code: number | null, output: string }
  /** The read-only commands, run side by side once the data is in place (each start of tsx costs ~1 s). */
  let read: { list: Run, listFailed: Run, showFailed: Run, showDelivered: Run, showUnknown: Run, usage: Run }

  beforeAll(async () => {
    fake = await startFakeCharitylog()
    // One attempt only, and a quick poll so the running app notices a retry made from the CLI.
    t = await buildRelayApp({ env: charitylogEnv(fake, { RETRY_MAX_ATTEMPTS: '1' }), dataDir, relay: { ...FAST_RELAY, pollMs: 100 } })
    fake.faults.failNext(1)
    failed = await submit(t.app, 'carers-referral', carersBody(FAILED, [{ first: 'Tamsin', surname: 'Trelawney' }]))
    await waitForRow(t, failed, 'failed', (r) => r.failed_at !== null)
    delivered = await submit(t.app, 'carers-referral', carersBody(DELIVERED, [{ first: 'Ines', surname: 'Ashcombe' }]))
    await waitForRow(t, delivered, 'delivered', isDelivered)
    const [list, listFailed, showFailed, showDelivered, showUnknown, usage] = await Promise.all([
      runNpm(['outbox', '--', 'list'], env), cli('list', 'failed'), cli('show', failed.toLowerCase()), cli('show', delivered),
      cli('show', 'ZZZZ2222'), cli('explode'),
    ])
    read = { list: list!, listFailed: listFailed!, showFailed: showFailed!, showDelivered: showDelivered!, showUnknown: showUnknown!, usage: usage! }
  })
  afterAll(async () => {
    await t.close()
    await fake.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const noPersonalData = (output: string) => {
    for (const word of [FAILED.first, FAILED.surname, DELIVERED.first, DELIVERED.surname, 'Tamsin', 'Ines', '@example.org', 'Orchard Lane', 'I look after']) {
      expect(output).not.toContain(word)
    }
    for (const key of Object.values(FAKE_CHARITYLOG_KEYS)) expect(output).not.toContain(key)
  }

  it('lists each referral with its reference, form, state, attempts and last error (through npm run outbox)', () => {
    const { code, output } = read.list
    expect(code).toBe(0)
    const lines = output.trim().split('\n')
    expect(lines[0]).toBe('reference\tform\treceived\tstate\tattempts\tnext attempt\tlast error')
    const failedLine = lines.find((l) => l.startsWith(failed))!.split('\t')
    expect(failedLine).toEqual([failed, 'carers-referral', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), 'failed', '1', '-',
      'Charitylog answered 503 (busy or unavailable); will retry: Service Unavailable'])
    expect(lines.find((l) => l.startsWith(delivered))!.split('\t').slice(3, 5)).toEqual(['delivered', '1'])
    expect(lines.at(-1)).toBe('2 referral(s)')
    noPersonalData(output)
  })

  it('lists only the referrals in a given state', () => {
    const { code, output } = read.listFailed
    expect(code).toBe(0)
    expect(output).toContain(failed)
    expect(output).not.toContain(delivered)
    expect(output.trim().split('\n').at(-1)).toBe('1 referral(s)')
  })

  it('shows the delivery facts and attempt history of one referral, without its answers', () => {
    const { code, output } = read.showFailed
    expect(code).toBe(0)
    expect(output).toContain(`reference:     ${failed}`)
    expect(output).toContain('destination:   charitylog')
    expect(output).toContain('state:         failed')
    expect(output).toContain('attempts:      1')
    expect(output).toContain('last error:    Charitylog answered 503 (busy or unavailable); will retry')
    expect(output).toContain('personal data: stored (encrypted)')
    expect(output).toMatch(/\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}retry: Charitylog answered 503/)
    noPersonalData(output)

    const shown = read.showDelivered
    expect(shown.output).toContain('state:         delivered')
    expect(shown.output).toContain('CRM record ids: {"id":5000}')
    noPersonalData(shown.output)
  })

  it('refuses to show a reference it does not know, and gives its usage for an unknown command', () => {
    expect(read.showUnknown).toMatchObject({ code: 1, output: expect.stringContaining('No referral with reference ZZZZ2222') })
    expect(read.usage).toMatchObject({ code: 2, output: expect.stringContaining('Usage: npm run outbox -- list') })
  })

  it('makes a failed referral due again, and the running app delivers it', async () => {
    const { code, output } = await cli('retry', failed)
    expect(code).toBe(0)
    expect(output).toContain(`${failed} will be sent again`)
    const row = await waitForRow(t, failed, 'delivered after the retry', isDelivered)
    expect(row.attempts).toBe(1)
    expect(row.failed_at).toBeNull()
    expect(deliveryState(row)).toBe('delivered')
    expect(fake.referrals.map((r) => r.people[0]!.surname)).toEqual([DELIVERED.surname, FAILED.surname])
  })

  it('will not retry a referral that was delivered', async () => {
    const { code, output } = await cli('retry', delivered)
    expect(code).toBe(1)
    expect(output).toContain(`${delivered} cannot be retried: it is delivered`)
    expect(rowOf(t, delivered).attempts).toBe(1)
  })
})
