/**
 * The plumbing both fake CRMs share: a real node:http server on 127.0.0.1 (port 0) that records every
 * request and can be told to misbehave. Each fake supplies only its contract (`handle`).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import qs from 'qs'

export interface RecordedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  rawBody: string
  /** Form bodies parsed with `qs.parse` (brackets kept as objects, never compacted arrays). */
  body: Record<string, unknown>
}

export interface Reply { status: number, body: string | object, contentType?: string }

export interface Faults {
  /** Answer the next `n` requests with this status (default 503) and a plain-text body. */
  failNext (n: number, status?: number): void
  /** Never answer the next `n` requests: no headers at all, or headers then a body that never ends. */
  hangNext (n: number, phase?: 'headers' | 'body'): void
  /** Answer every request after this many milliseconds (0: at once). */
  delayMs: number
  /** Answer every n-th request (counting from the first) with 503 instead of handling it (0: never). */
  failEvery: number
  /** How many requests `failEvery` has failed. */
  readonly failedByRatio: number
  /** Stop listening, keeping the URL: the next requests meet "connection refused". */
  refuseConnections (): Promise<void>
}

export interface FakeServer {
  url: string
  requests: RecordedRequest[]
  faults: Faults
  close (): Promise<void>
}

/** Starts a server answering with `handle` unless a fault says otherwise. */
export async function startFakeServer (handle: (req: RecordedRequest) => Reply, listenPort = 0): Promise<FakeServer> {
  const requests: RecordedRequest[] = []
  let fail = { n: 0, status: 503 }
  const hangs: Array<'headers' | 'body'> = []
  let failedByRatio = 0
  const faults: Faults = {
    failNext (n, status = 503) { fail = { n, status } },
    hangNext (n, phase = 'headers') { for (let i = 0; i < n; i++) hangs.push(phase) },
    delayMs: 0,
    failEvery: 0,
    get failedByRatio () { return failedByRatio },
    refuseConnections: () => close(),
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const url = new URL(req.url ?? '/', 'http://fake')
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        body: isForm ? qs.parse(rawBody, { parseArrays: false, depth: 5 }) : {},
      }
      requests.push(recorded)
      const hang = hangs.shift()
      if (hang === 'headers') return
      if (hang === 'body') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"data":')
        return
      }
      const byRatio = faults.failEvery > 0 && requests.length % faults.failEvery === 0
      if (byRatio) failedByRatio++
      const reply = fail.n > 0
        ? (fail.n--, { status: fail.status, body: 'Service Unavailable', contentType: 'text/plain' })
        : byRatio ? { status: 503, body: 'Service Unavailable', contentType: 'text/plain' } : handle(recorded)
      if (faults.delayMs > 0) setTimeout(() => send(res, reply), faults.delayMs)
      else send(res, reply)
    })
  })

  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let closed: Promise<void> | undefined
  function close (): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      // Hanging and keep-alive connections would keep close() waiting for ever.
      server.closeAllConnections()
    })
    return closed
  }
  return { url: `http://127.0.0.1:${port}`, requests, faults, close }
}

function send (res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return
  const json = typeof reply.body !== 'string'
  const body = json ? JSON.stringify(reply.body) : reply.body as string
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? (json ? 'application/json' : 'text/plain') })
  res.end(body)
}
