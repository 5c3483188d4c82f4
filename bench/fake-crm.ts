/**
 * The fake Charitylog of the test suite (test/fakes) in its own process for the bench, answering every
 * request after the delay given as argument (0: at once; 5000: the "slow CRM" row). It accepts the
 * keys in FAKE_CHARITYLOG_KEYS, which the bench gives our server. It keeps only a count of requests:
 * the fake's record of each request would grow for ever under load.
 */
import { startFakeCharitylog } from '../test/fakes/fake-charitylog.js'

const fake = await startFakeCharitylog()
fake.faults.delayMs = Number(process.argv[2] ?? 0)
// The fake records every request and referral for tests to inspect; the bench needs none of them.
setInterval(() => { fake.requests.length = 0; fake.referrals.length = 0 }, 1000)
console.log(`fake CRM listening at ${fake.url}`)
process.on('SIGTERM', () => { void fake.close().then(() => process.exit(0)) })
