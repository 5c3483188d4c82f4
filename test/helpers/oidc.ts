/**
 * A real OpenID Connect provider for the tests (the `oidc-provider` package, as many identity
 * services are built on), on 127.0.0.1 with its development sign-in pages: any login name signs in as
 * the person of that name in `people`. And `signInThrough`, which walks those pages over HTTP as a
 * browser would, for tests without Chromium.
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import Provider from 'oidc-provider'

export interface Person { email: string, email_verified?: boolean, name: string }

export interface TestProvider {
  issuer: string
  clientId: string
  clientSecret: string
  close (): Promise<void>
}

export const OIDC_CLIENT_SECRET = 'a-client-secret-for-the-test-provider'

/** `host`: `localhost` puts the provider on another site than an app on 127.0.0.1, as a real provider is. */
export async function startProvider (redirectUri: string, people: Record<string, Person>, host = '127.0.0.1'): Promise<TestProvider> {
  const server: Server = (await import('node:http')).createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://${host}:${(server.address() as { port: number }).port}`
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'referral-forms',
      client_secret: OIDC_CLIENT_SECRET,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    features: { devInteractions: { enabled: true } },
    async findAccount (_ctx, sub) {
      const person = people[sub]
      if (!person) return undefined
      return { accountId: sub, claims: async () => ({ sub, email: person.email, email_verified: person.email_verified ?? true, name: person.name }) }
    },
  })
  server.on('request', provider.callback())
  return {
    issuer,
    clientId: 'referral-forms',
    clientSecret: OIDC_CLIENT_SECRET,
    close: async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) },
  }
}

/** The inputs of the first form of a page, and where it posts. */
function formOf (html: string, base: string): { action: string, fields: Array<[string, string]> } | undefined {
  const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) return undefined
  const fields = [...form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as [string, string])
  return { action: new URL(form[1]!.replace(/&amp;/g, '&'), base).href, fields }
}

/**
 * Follows the provider's pages from `authorizationUrl` as `login` would (sign in, then consent), with
 * the provider's cookies, and returns the URL it finally sends the browser to (our callback).
 */
export async function signInThrough (authorizationUrl: string, login: string, backTo: string): Promise<string> {
  const jar = new Map<string, string>()
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [name, ...value] = pair!.split('=')
      jar.set(name!.trim(), value.join('='))
    }
  }
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  let url = authorizationUrl
  let body: string | undefined
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(backTo)) return url
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: { cookie: cookie(), ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(body !== undefined && { body }),
    })
    keep(res)
    body = undefined
    const location = res.headers.get('location')
    if (location) {
      url = new URL(location, url).href
      continue
    }
    const html = await res.text()
    const form = formOf(html, url)
    if (!form) throw new Error(`The provider showed a page without a form (${res.status}): ${html.slice(0, 300)}`)
    const fields = new URLSearchParams(form.fields)
    if (/name="login"/.test(html)) {
      fields.set('login', login)
      fields.set('password', 'any')
    }
    url = form.action
    body = fields.toString()
  }
  throw new Error('The provider never sent the browser back')
}
