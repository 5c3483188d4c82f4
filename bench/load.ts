/**
 * One autocannon run against a server, from the bench process. Every request comes from its own
 * client address (X-Forwarded-For, believed by ours because the bench runs it with TRUST_PROXY=true),
 * as on a busy day of many visitors: the per-address rate limits run and cost what they cost, but a
 * bench from 127.0.0.1 does not trip them. POST bodies are made per request (each carries a fresh,
 * single-use form token).
 */
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  path: string
  method?: 'GET' | 'POST'
  connections: number
  /** Seconds; ignored when `amount` is set. */
  duration?: number
  amount?: number
  /** A body per request (its sequence number given). */
  body?: (n: number) => string
  /** The status every answer must have; others are reported. */
  expectStatus: number
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  total: number
  /** Answers with another status, errors and timeouts. */
  unexpected: number
  /** Seconds measured. */
  seconds: number
  /** Every answer's time in ms, so runs can be merged (`merge`). */
  latencies: number[]
}

const percentile = (sorted: number[], p: number) => sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/** Several runs as one: requests/s over their summed time, percentiles over all their answers. */
export function merge (runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const total = runs.reduce((n, r) => n + r.total, 0)
  const seconds = runs.reduce((n, r) => n + r.seconds, 0)
  return {
    rps: total / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    total,
    seconds,
    latencies,
    unexpected: runs.reduce((n, r) => n + r.unexpected, 0),
  }
}

let sequence = 0

export async function load (o: LoadOptions): Promise<LoadResult> {
  const headers: Record<string, string> = o.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}
  const latencies: number[] = []
  const run = autocannon({
    url: o.url,
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.duration ?? 10 }),
    timeout: 30,
    requests: [{
      method: o.method ?? 'GET',
      path: o.path,
      setupRequest (req) {
        const n = ++sequence
        const xff = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
        return { ...req, headers: { ...headers, 'x-forwarded-for': xff }, ...(o.body && { body: o.body(n) }) }
      },
    }],
  })
  run.on('response', (_client, _status, _bytes, ms) => { latencies.push(ms) })
  const result = await run
  latencies.sort((a, b) => a - b)
  const ok = result.statusCodeStats[String(o.expectStatus)]?.count ?? 0
  const total = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0)
  return {
    rps: total / result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    total,
    unexpected: total - ok + result.errors + result.timeouts,
    seconds: result.duration,
    latencies,
  }
}
