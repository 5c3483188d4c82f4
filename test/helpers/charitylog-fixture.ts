/**
 * Per-test setup for relay tests against the fake Charitylog: fakes, apps and data folders made in a
 * test are closed and removed after it, and the logs of every app it built are checked for
 * credentials and for the test's personal data.
 */
import { rmSync } from 'node:fs'
import { afterEach } from 'vitest'
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog, type FakeCharitylog } from '../fakes/fake-charitylog.js'
import { tempDir, type TestApp, type TestAppOptions } from './app.js'
import { buildRelayApp, carersBody, expectLogsClean, rowOf, submit } from './relay.js'
import { attemptRows } from './sqlite.js'

export const CARER = { first: 'Alice', surname: 'Okafor' }
export const CARED_FOR = [{ first: 'Barry', surname: 'Okafor' }]
/** A wrong key some tests configure: a credential too, so never in a log. */
export const ROTATED_USER_KEY = 'usr-key-rotated-000'

export function useCharitylogFixture () {
  let apps: TestApp[] = []
  let fakes: FakeCharitylog[] = []
  let dirs: string[] = []
  let logs: string[] = []

  /** Closes an app before the end of its test (a restart); its logs are still checked. */
  async function closeApp (a: TestApp) {
    await a.close()
    apps = apps.filter((x) => x !== a)
    logs.push(...a.logs)
  }

  afterEach(async () => {
    for (const a of [...apps]) await closeApp(a)
    await Promise.all(fakes.map((f) => f.close()))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
    fakes = []
    dirs = []
    const seen = logs
    logs = []
    expectLogsClean(seen, [CARER.first, CARER.surname, CARED_FOR[0]!.first, 'alice@example.org', 'Orchard Lane', 'I look after'], [ROTATED_USER_KEY])
  })

  return {
    closeApp,
    async fake (port = 0) {
      const f = await startFakeCharitylog(FAKE_CHARITYLOG_KEYS, port)
      fakes.push(f)
      return f
    },
    async app (env: Record<string, string>, extra: TestAppOptions = {}) {
      const a = await buildRelayApp({ env, ...extra })
      apps.push(a)
      return a
    },
    /** A data folder that outlives one app (for restarts), removed after the test. */
    dataDir () {
      const d = tempDir()
      dirs.push(d)
      return d
    },
    send: (t: TestApp) => submit(t.app, 'carers-referral', carersBody(CARER, CARED_FOR)),
    attemptsOf: (t: TestApp, ref: string) => attemptRows(t.app, rowOf(t, ref).id),
  }
}
