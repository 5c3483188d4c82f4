/**
 * `npm run bench`: our server against bare Fastify on the same machine in the same run, one table
 * (docs/performance.md says what each row measures and why). `-- --json`: the same rows as one JSON
 * document on stdout. `-- --smoke`: every row in a second or two with small counts (for the test
 * suite: proves the bench runs, says nothing about the targets). `-- --profile DIR`: our servers
 * write V8 CPU profiles (--cpu-prof) into DIR. `-- --scaling`: the cost study by form size and
 * outbox backlog instead (bench/scaling.ts). `-- --no-postgres`: without the PostgreSQL rows (they
 * need a server: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else 127.0.0.1:5432). Progress goes to stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../src/storage/sqlite/index.js'
import { load, merge, type LoadResult } from './load.js'
import { fixedRow, fsyncMs, json, machine, ratioRow, table, type Row } from './report.js'
import { benchDatabase, type BenchDatabase } from './postgres.js'
import { runScaling } from './scaling.js'
import { seedWaiting } from './seed.js'
import { buildOurs, ROOT, rssMb, startBare, startFakeCrm, startOurs, type Child } from './servers.js'
import { FORM_PATH, submissionBody } from './submissions.js'

const args = process.argv.slice(2)
const asJson = args.includes('--json')
const smoke = args.includes('--smoke')
const profileAt = args.indexOf('--profile')
const profileDir = profileAt >= 0 ? path.resolve(args[profileAt + 1] ?? 'profiles') : undefined
const withPostgres = !args.includes('--no-postgres')

/** Seconds per measured run, seconds of warm-up before it, connections, and the counts of the drain and RSS rows. */
const plan = smoke
  ? { seconds: 1, warmup: 0.5, connections: 50, drain: 100, submissions: 300 }
  : { seconds: 10, warmup: 2, connections: 50, drain: 2000, submissions: 10_000 }
/** Turns of each server in the rows measured in turns: finer turns spread a shared machine's noise more evenly. */
const ROUNDS = smoke ? 2 : 4
/** The slow CRM of row 3. */
const SLOW_CRM_MS = 5000
const FORMS_DIR = path.join(ROOT, 'examples', 'forms')

const say = (msg: string) => process.stderr.write(`bench: ${msg}\n`)
const work = mkdtempSync(path.join(tmpdir(), 'rf-bench-'))
const children: Child[] = []
const nodeFlags = profileDir ? (mkdirSync(profileDir, { recursive: true }), ['--cpu-prof', '--cpu-prof-dir', profileDir]) : []

async function ours (name: string, crm: Child, dataDir = path.join(work, name), databaseUrl?: string): Promise<Child> {
  const c = await startOurs(name, work, { dataDir, crmUrl: crm.url, nodeFlags, ...(databaseUrl !== undefined && { databaseUrl }) })
  children.push(c)
  return c
}

async function stop (...cs: Child[]) {
  for (const c of cs) await c.stop()
}

const post = (url: string, extra: Partial<Parameters<typeof load>[0]> = {}) =>
  load({ url, path: FORM_PATH, method: 'POST', connections: plan.connections, body: submissionBody, expectStatus: 303, ...extra })
const get = (url: string, seconds: number) => load({ url, path: FORM_PATH, connections: plan.connections, duration: seconds, expectStatus: 200 })

function report (what: string, r: LoadResult): LoadResult {
  say(`${what}: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.total} answers${r.unexpected ? `, ${r.unexpected} UNEXPECTED` : ''}`)
  if (r.unexpected > r.total * 0.01) throw new Error(`${what}: ${r.unexpected} answers were not the expected status; see the logs in ${work}`)
  return r
}

/**
 * Two servers measured in turns (a warm-up of each, then ROUNDS turns of each), so that the
 * noise of a shared machine falls on both alike. Only for requests that leave no work behind (GET):
 * after POSTs our worker goes on delivering, which would slow the next turn of the other server.
 */
async function alternate (what: [string, string], runs: [(s: number) => Promise<LoadResult>, (s: number) => Promise<LoadResult>]): Promise<[LoadResult, LoadResult]> {
  for (const run of runs) await run(plan.warmup)
  const results: [LoadResult[], LoadResult[]] = [[], []]
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of [0, 1] as const) results[i].push(await runs[i](plan.seconds / ROUNDS))
  }
  return [report(what[0], merge(results[0])), report(what[1], merge(results[1]))]
}

/** HTML, CSS and JS of the form page, each gzipped as a server or proxy would send them. */
async function pageWeight (url: string): Promise<{ kb: number, page: string, detail: string }> {
  const page = await (await fetch(url + FORM_PATH)).text()
  const assets = [...page.matchAll(/<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!.replaceAll('&amp;', '&'))
  const sizes = [{ name: 'html', bytes: gzipSync(page).length }]
  for (const a of assets) sizes.push({ name: path.extname(a.split('?')[0]!).slice(1), bytes: gzipSync(Buffer.from(await (await fetch(url + a)).arrayBuffer())).length })
  const total = sizes.reduce((s, x) => s + x.bytes, 0)
  return { kb: total / 1024, page, detail: sizes.map((s) => `${s.name} ${(s.bytes / 1024).toFixed(1)} KB`).join(' + ') }
}

/** Waits until `count` rows are delivered, then the rate from the recorded attempts (first start to last finish). */
async function drainRate (dataDir: string, count: number): Promise<{ perSecond: number, seconds: number }> {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    const deadline = Date.now() + (smoke ? 30_000 : 120_000)
    const delivered = db.prepare('SELECT count(*) AS n FROM submissions WHERE delivered_at IS NOT NULL')
    while ((delivered.get() as { n: number }).n < count) {
      if (Date.now() > deadline) throw new Error(`Outbox drain: only ${(delivered.get() as { n: number }).n} of ${count} delivered in time`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const span = db.prepare("SELECT min(started_at) AS a, max(finished_at) AS b FROM delivery_attempts WHERE outcome = 'delivered'").get() as { a: number, b: number }
    const seconds = Math.max(span.b - span.a, 1) / 1000
    return { perSecond: count / seconds, seconds }
  } finally {
    db.close()
  }
}

/** Waits (at most a minute) until every submission in `dataDir` has been delivered. */
async function drained (dataDir: string): Promise<void> {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    const waiting = db.prepare('SELECT count(*) AS n FROM submissions WHERE delivered_at IS NULL')
    const deadline = Date.now() + 60_000
    while ((waiting.get() as { n: number }).n > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  } finally {
    db.close()
  }
}

function deliveredCount (dataDir: string): number {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM submissions WHERE delivered_at IS NOT NULL').get() as { n: number }).n
  } finally {
    db.close()
  }
}

async function openBenchDatabase (name: string): Promise<BenchDatabase> {
  const db = await benchDatabase(name)
  if (typeof db === 'string') throw new Error(`The PostgreSQL rows need a server: ${db}. Set BENCH_DATABASE_URL, or run with -- --no-postgres`)
  return db
}

async function untilNoneWaiting (db: BenchDatabase): Promise<void> {
  const deadline = Date.now() + 60_000
  while ((await db.counts()).waiting > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
}

/** POSTs to a server of ours on PostgreSQL and to bare Fastify, in turns, each of ours followed by its drain. */
async function postgresPosts (bare: Child, crm: Child): Promise<{ bare: LoadResult, ours: LoadResult }> {
  const db = await openBenchDatabase('post')
  try {
    const server = await ours('ours-postgres', crm, path.join(work, 'ours-postgres'), db.url)
    await post(server.url, { duration: plan.warmup })
    await untilNoneWaiting(db)
    const bareRuns: LoadResult[] = []
    const pgRuns: LoadResult[] = []
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await post(bare.url, { duration: plan.seconds / ROUNDS }))
      pgRuns.push(await post(server.url, { duration: plan.seconds / ROUNDS }))
      await untilNoneWaiting(db)
    }
    await stop(server)
    return { bare: report('POST bare Fastify (PostgreSQL turns)', merge(bareRuns)), ours: report('POST ours, PostgreSQL', merge(pgRuns)) }
  } finally {
    await db.drop()
  }
}

/** A backlog queued in PostgreSQL, drained by `count` servers started together. */
async function postgresDrain (count: number, crm: Child): Promise<{ perSecond: number, seconds: number }> {
  const db = await openBenchDatabase(`drain${count}`)
  try {
    await seedWaiting(path.join(work, 'unused'), FORMS_DIR, plan.drain, Date.now(), db.url)
    const servers = await Promise.all(Array.from({ length: count }, (_, i) => ours(`ours-postgres-drain-${count}-${i}`, crm, path.join(work, `pg-drain-${count}-${i}`), db.url)))
    const deadline = Date.now() + (smoke ? 30_000 : 120_000)
    while ((await db.counts()).delivered < plan.drain) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL drain with ${count} server(s): only ${(await db.counts()).delivered} of ${plan.drain} delivered in time`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const perSecond = await db.drainRate(plan.drain)
    say(`PostgreSQL drain, ${count} server(s): ${Math.round(perSecond)}/s`)
    await stop(...servers)
    return { perSecond, seconds: plan.drain / perSecond }
  } finally {
    await db.drop()
  }
}

async function main (): Promise<Row[]> {
  const rows: Row[] = []
  const instantCrm = await startFakeCrm('crm-instant', work, 0)
  children.push(instantCrm)

  // Rows 1, 2 and 5 on one server of ours with an instant CRM, against bare Fastify.
  say('starting servers')
  const main = await ours('ours', instantCrm)
  const weight = await pageWeight(main.url)
  const pageFile = path.join(work, 'page.html')
  writeFileSync(pageFile, weight.page)
  const bare = await startBare(work, pageFile)
  children.push(bare)

  const [getBare, getOurs] = await alternate(['GET bare Fastify', 'GET ours'], [(s) => get(bare.url, s), (s) => get(main.url, s)])
  rows.push(ratioRow('GET /forms/carers-referral', 'req/s', getOurs.rps, getBare.rps, { atLeast: 0.6 },
    `${plan.connections} connections, ${plan.seconds} s each in turns; limit: bare Fastify sending the same bytes`))

  // Rows 2 and 3: bare Fastify, ours with an instant CRM and ours with a CRM that answers after 5 s,
  // in turns (as `alternate`), each turn of the instant one followed by a wait until its worker has
  // delivered everything, so that its deliveries do not fall in another's turn.
  const slowCrm = await startFakeCrm('crm-slow', work, SLOW_CRM_MS)
  children.push(slowCrm)
  const slow = await ours('ours-slow-crm', slowCrm)
  const mainDir = path.join(work, 'ours')
  await post(bare.url, { duration: plan.warmup })
  await post(main.url, { duration: plan.warmup })
  await post(slow.url, { duration: plan.warmup })
  await drained(mainDir)
  const bareRuns: LoadResult[] = []
  const instantRuns: LoadResult[] = []
  const slowRuns: LoadResult[] = []
  let deliveredDuring = 0
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await post(bare.url, { duration: plan.seconds / ROUNDS }))
    const before = deliveredCount(mainDir)
    instantRuns.push(await post(main.url, { duration: plan.seconds / ROUNDS }))
    deliveredDuring += deliveredCount(mainDir) - before
    await drained(mainDir)
    slowRuns.push(await post(slow.url, { duration: plan.seconds / ROUNDS }))
  }
  // The same POST with everything in PostgreSQL (DATABASE_URL), in turns with bare Fastify again.
  const pgPost: { bare: LoadResult, ours: LoadResult } | undefined = withPostgres ? await postgresPosts(bare, instantCrm) : undefined
  await stop(bare)
  const postBare = report('POST bare Fastify', merge(bareRuns))
  const postOurs = report('POST ours, instant CRM', merge(instantRuns))
  const postSlow = report('POST ours, CRM answering after 5 s', merge(slowRuns))
  rows.push(ratioRow('POST valid submission', 'req/s', postOurs.rps, postBare.rps, { atLeast: 0.3 },
    'validation + durable write + 303, worker delivering to an instant fake CRM; limit: bare Fastify answering 303'))
  rows.push(fixedRow(`POST p99 at ${plan.connections} connections`, 'ms', postOurs.p99, 50, 'atMost',
    `same runs as the row above; ${deliveredDuring} delivered during them`))
  rows.push(ratioRow('POST p99, CRM answering after 5 s', 'ms', postSlow.p99, postOurs.p99, { atMost: 1.1 },
    `in turns with the instant-CRM runs, worker running (deliveries take ${SLOW_CRM_MS / 1000} s); limit: p99 of the instant-CRM runs`))
  await stop(slowCrm, slow, main)
  if (pgPost) {
    rows.push(ratioRow('POST valid submission, PostgreSQL', 'req/s', pgPost.ours.rps, pgPost.bare.rps, { atLeast: 0.18 },
      'as the SQLite row, with DATABASE_URL (a local PostgreSQL); limit: bare Fastify in turns with it; target: the SQLite ratio of earlier rounds'))
    rows.push(fixedRow(`POST p99 at ${plan.connections} connections, PostgreSQL`, 'ms', pgPost.ours.p99, 50, 'atMost', 'same runs as the row above'))
  }

  // Row 4: a backlog queued while the CRM was away, drained when the server starts.
  const drainDir = path.join(work, 'drain')
  await seedWaiting(drainDir, FORMS_DIR, plan.drain)
  const drainer = await ours('ours-drain', instantCrm, drainDir)
  const drain = await drainRate(drainDir, plan.drain)
  say(`drain: ${plan.drain} in ${drain.seconds.toFixed(2)} s`)
  rows.push(fixedRow('Outbox drain to a local fake CRM', 'deliveries/s', drain.perSecond, 200, 'atLeast',
    `${plan.drain.toLocaleString('en-GB')} queued before start, ${drain.seconds.toFixed(1)} s`))
  await stop(drainer)
  if (withPostgres) {
    for (const servers of [1, 2]) {
      const rate = await postgresDrain(servers, instantCrm)
      rows.push(fixedRow(`Outbox drain, PostgreSQL, ${servers} server${servers > 1 ? 's' : ''}`, 'deliveries/s', rate.perSecond, 200, 'atLeast',
        `${plan.drain.toLocaleString('en-GB')} queued before start, ${rate.seconds.toFixed(1)} s, ${servers === 1 ? 'one server' : 'two servers sharing the outbox'}`))
    }
  }

  rows.push(fixedRow('Page weight, HTML + CSS + JS gzipped', 'KB', weight.kb, 20, 'atMost', weight.detail))

  // Row 6: a fresh server takes N submissions at 50 connections (worker delivering meanwhile).
  const fresh = await ours('ours-rss', instantCrm)
  let peak = rssMb(fresh.pid)
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(fresh.pid)) }, 200)
  const taken = await post(fresh.url, { amount: plan.submissions })
  clearInterval(sampler)
  const after = rssMb(fresh.pid)
  peak = Math.max(peak, after)
  say(`RSS: ${after.toFixed(0)} MB after ${taken.total} submissions (${Math.round(taken.rps)} req/s), peak ${peak.toFixed(0)} MB`)
  rows.push(fixedRow(`RSS after ${plan.submissions.toLocaleString('en-GB')} submissions`, 'MB', peak, 150, 'atMost',
    `peak while taking them at ${plan.connections} connections; ${after.toFixed(0)} MB at the end`))
  await stop(fresh)
  return rows
}

let failed = true
try {
  say('building the server as npm start does (npm run build)')
  buildOurs()
  if (args.includes('--scaling')) {
    await runScaling(work, say)
  } else {
    const startedAt = new Date().toISOString()
    const disk = { fsyncMs: Math.round(fsyncMs(work) * 100) / 100 }
    const m = machine()
    say(`${m.cores} cores, ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}; one fsynced commit takes ${disk.fsyncMs} ms on this disk now`)
    const rows = await main()
    process.stdout.write(asJson ? json(rows, { date: startedAt, smoke }, disk) + '\n' : table(rows) + '\n')
  }
  failed = false
} finally {
  for (const c of children) await c.stop().catch(() => {})
  // Kept on failure (the servers' logs are there) or when asked with --keep.
  if (failed || args.includes('--keep')) say(`logs and data kept in ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
