/**
 * `npx tsx test/fakes/serve.ts [charitylogPort] [lamplightPort]`: runs both fake CRMs on 127.0.0.1 and
 * prints the environment variables that point the server at them (on stdout), for trying the relay by
 * hand. Every request they receive is printed on stderr (method, path and body: test data), so the
 * variables can go to a file and the requests to the terminal.
 */
import { FAKE_CHARITYLOG_KEYS, startFakeCharitylog } from './fake-charitylog.js'
import { FAKE_LAMPLIGHT_KEYS, startFakeLamplight } from './fake-lamplight.js'

const cl = await startFakeCharitylog(FAKE_CHARITYLOG_KEYS, Number(process.argv[2] ?? 0))
const ll = await startFakeLamplight(FAKE_LAMPLIGHT_KEYS, Number(process.argv[3] ?? 0))
console.log([
  `CHARITYLOG_API_URL=${cl.url}`,
  `CHARITYLOG_SOURCE_KEY=${FAKE_CHARITYLOG_KEYS.sourceKey}`,
  `CHARITYLOG_ORG_KEY=${FAKE_CHARITYLOG_KEYS.orgKey}`,
  `CHARITYLOG_USER_KEY=${FAKE_CHARITYLOG_KEYS.userKey}`,
  `LAMPLIGHT_API_URL=${ll.url}`,
  `LAMPLIGHT_KEY=${FAKE_LAMPLIGHT_KEYS.key}`,
  `LAMPLIGHT_LAMPID=${FAKE_LAMPLIGHT_KEYS.lampid}`,
  `LAMPLIGHT_PROJECT=${FAKE_LAMPLIGHT_KEYS.project}`,
].join('\n'))
setInterval(() => {
  for (const [name, fake] of [['charitylog', cl], ['lamplight', ll]] as const) {
    while (fake.requests.length > 0) {
      const r = fake.requests.shift()!
      console.error(`${name}: ${r.method} ${r.path} -> ${JSON.stringify(r.body)}`)
    }
  }
}, 250)
