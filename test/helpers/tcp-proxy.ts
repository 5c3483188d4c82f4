/**
 * A TCP proxy in front of a server, for a network that stops carrying requests: after
 * `holdRequests()`, what clients send is kept here and never reaches the server (answers still come
 * back), so a request a client sends then is one the server has never seen. A client that goes away
 * takes what was kept for it with it.
 */
import { connect, createServer, type Socket } from 'node:net'

export interface TcpProxy {
  url: string
  holdRequests (): void
  /** How many chunks of request data are being kept from the server. */
  readonly held: number
  close (): Promise<void>
}

export async function startTcpProxy (target: string): Promise<TcpProxy> {
  const to = new URL(target)
  let holding = false
  let held = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(to.port), to.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy() })
      s.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.on('data', (chunk) => {
      if (holding) held++
      else upstream.write(chunk)
    })
    upstream.on('data', (chunk) => client.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}${to.pathname === '/' ? '' : to.pathname}`,
    holdRequests () { holding = true },
    get held () { return held },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}
