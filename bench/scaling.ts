/**
 * `npm run bench -- --scaling`: how cost grows with the size of a form (10, 50, 200 fields: forms
 * generated into a temporary folder) and with the outbox backlog (0, 10,000, 100,000 waiting rows:
 * the time of a POST while the worker works through them, and of the worker's queries on one turn).
 * Prints two Markdown tables; about two minutes, most of it storing the 100,000 rows.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { loadFormsDir } from '../src/forms/load.js'
import { openStorage } from '../src/storage/index.js'
import { load } from './load.js'
import { seedWaiting } from './seed.js'
import { BENCH_SECRET, ROOT, startFakeCrm, startOurs, type Child } from './servers.js'
import { submissionBody } from './submissions.js'

const SIZES = [10, 50, 200]
const BACKLOGS = [0, 10_000, 100_000]
const SECONDS = 3

/** Field `i` of a generated form, and its valid answer(s). */
function field (i: number): { yaml: string, answers: Array<[string, string]> } {
  const name = `q${i}`
  const kinds = [
    { yaml: `{ name: ${name}, label: Question ${i}, type: text, required: true }`, answers: [[name, `Answer ${i}`]] },
    { yaml: `{ name: ${name}, label: Email ${i}, type: email }`, answers: [[name, `person${i}@example.org`]] },
    { yaml: `{ name: ${name}, label: Phone ${i}, type: tel }`, answers: [[name, '01989 567890']] },
    { yaml: `{ name: ${name}, label: Choice ${i}, type: radios, options: [{ label: Yes, value: y }, { label: No, value: n }] }`, answers: [[name, 'y']] },
    { yaml: `{ name: ${name}, label: Pick ${i}, type: select, options: [{ label: One, value: "1" }, { label: Two, value: "2" }] }`, answers: [[name, '2']] },
    { yaml: `{ name: ${name}, label: Date ${i}, type: date, past: true }`, answers: [[`${name}[day]`, '3'], [`${name}[month]`, '4'], [`${name}[year]`, '1950']] },
    { yaml: `{ name: ${name}, label: Tell us more ${i}, type: textarea }`, answers: [[name, 'A longer answer, as people write in a text box.']] },
  ] as const
  const k = kinds[i % kinds.length]!
  return { yaml: k.yaml, answers: k.answers.map(([a, b]) => [a, b] as [string, string]) }
}

/** A Charitylog form with one person (first name, surname) and `size - 2` more questions. */
function generatedForm (size: number): { id: string, yaml: string, answers: Array<[string, string]> } {
  const id = `generated-${size}`
  const rest = Array.from({ length: size - 2 }, (_, i) => field(i))
  const yaml = [
    `id: ${id}`, `title: A form of ${size} questions`, 'destination: { type: charitylog, project: 7 }',
    'people:', '  - key: person', '    heading: About you', '    charitylog: { org_type_id: 7 }', '    fields:',
    '      - { name: first_name, label: First name, type: text, required: true }',
    '      - { name: surname, label: Last name, type: text, required: true }',
    'fields:', ...rest.map((f) => `  - ${f.yaml}`), '',
  ].join('\n')
  const answers: Array<[string, string]> = [['person[0][_]', '1'], ['person[0][first_name]', 'Ceri'], ['person[0][surname]', 'Evans'], ...rest.flatMap((f) => f.answers)]
  return { id, yaml, answers }
}

function table (head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

async function formSizes (work: string, crm: Child, say: (m: string) => void): Promise<string> {
  const formsDir = path.join(work, 'forms-generated')
  mkdirSync(formsDir, { recursive: true })
  const forms = SIZES.map(generatedForm)
  for (const f of forms) writeFileSync(path.join(formsDir, `${f.id}.yaml`), f.yaml)
  const { broken } = await loadFormsDir(formsDir)
  if (broken.size > 0) throw new Error(`Generated forms are not valid: ${JSON.stringify([...broken])}`)
  const server = await startOurs('ours-sizes', work, { dataDir: path.join(work, 'sizes'), crmUrl: crm.url, formsDir })
  const rows: string[][] = []
  try {
    for (const [i, f] of forms.entries()) {
      const url = `/forms/${f.id}`
      const html = await (await fetch(server.url + url)).text()
      await load({ url: server.url, path: url, connections: 50, duration: 1, expectStatus: 200 })
      const g = await load({ url: server.url, path: url, connections: 50, duration: SECONDS, expectStatus: 200 })
      const body = (n: number) => submissionBody(n, f.id, f.answers)
      await load({ url: server.url, path: url, method: 'POST', connections: 50, duration: 1, body, expectStatus: 303 })
      const p = await load({ url: server.url, path: url, method: 'POST', connections: 50, duration: SECONDS, body, expectStatus: 303 })
      if (g.unexpected + p.unexpected > 0) throw new Error(`${f.id}: unexpected answers (see ${server.log})`)
      say(`${SIZES[i]} fields: GET ${Math.round(g.rps)}/s, POST ${Math.round(p.rps)}/s`)
      rows.push([String(SIZES[i]), (gzipSync(html).length / 1024).toFixed(1), String(Math.round(g.rps)), g.p50.toFixed(1),
        String(Math.round(p.rps)), p.p50.toFixed(1), p.p99.toFixed(1)])
    }
  } finally {
    await server.stop()
  }
  return table(['fields', 'page HTML gzipped (KB)', 'GET req/s', 'GET p50 (ms)', 'POST req/s', 'POST p50 (ms)', 'POST p99 (ms)'], rows)
}

/** Median time in ms of `f` over `n` calls. */
async function timeOf (n: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f()
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

async function backlogs (work: string, crm: Child, say: (m: string) => void): Promise<string> {
  const formsDir = path.join(ROOT, 'examples', 'forms')
  const rows: string[][] = []
  for (const backlog of BACKLOGS) {
    const dataDir = path.join(work, `backlog-${backlog}`)
    say(`storing ${backlog} waiting submissions`)
    await seedWaiting(dataDir, formsDir, backlog)

    // The worker's queries on one turn, on the queue as it is (in this process, on a copy of the store).
    const storage = await openStorage({ dataDir, secret: BENCH_SECRET })
    const { outbox } = storage
    const now = Date.now()
    const claim = await timeOf(50, () => outbox.claimDue(now, 60_000, 4, ['charitylog', 'lamplight']))
    const hold = await timeOf(50, () => outbox.holdDestination('lamplight', 'Lamplight is not configured', Date.now()))
    const nextDue = await timeOf(50, () => outbox.nextDueAt(['charitylog', 'lamplight']))
    await outbox.releaseAllLeases()
    await storage.close()

    // A POST while the server's worker works through the queue (instant CRM).
    const server = await startOurs(`ours-backlog-${backlog}`, work, { dataDir, crmUrl: crm.url })
    try {
      await load({ url: server.url, path: '/forms/carers-referral', method: 'POST', connections: 50, duration: 1, body: submissionBody, expectStatus: 303 })
      const p = await load({ url: server.url, path: '/forms/carers-referral', method: 'POST', connections: 50, duration: SECONDS, body: submissionBody, expectStatus: 303 })
      const one = await load({ url: server.url, path: '/forms/carers-referral', method: 'POST', connections: 1, duration: 1, body: submissionBody, expectStatus: 303 })
      say(`backlog ${backlog}: POST ${Math.round(p.rps)}/s, claim ${claim.toFixed(3)} ms`)
      rows.push([backlog.toLocaleString('en-GB'), one.p50.toFixed(1), String(Math.round(p.rps)), p.p50.toFixed(1), p.p99.toFixed(1),
        claim.toFixed(3), hold.toFixed(3), nextDue.toFixed(3)])
    } finally {
      await server.stop()
    }
  }
  return table(['waiting rows', 'POST alone p50 (ms)', 'POST req/s (50 conn.)', 'p50 (ms)', 'p99 (ms)', 'claim 4 (ms)', 'hold check (ms)', 'next due (ms)'], rows)
}

export async function runScaling (work: string, say: (m: string) => void): Promise<void> {
  const crm = await startFakeCrm('crm-scaling', work, 0)
  try {
    const sizes = await formSizes(work, crm, say)
    const queue = await backlogs(work, crm, say)
    process.stdout.write(`Cost by form size (one person of 2 questions, the rest top-level; 50 connections, ${SECONDS} s each)\n\n${sizes}\n\n`)
    process.stdout.write(`Cost by outbox backlog (waiting rows due now, worker delivering to an instant fake CRM)\n\n${queue}\n`)
  } finally {
    await crm.stop()
  }
}
