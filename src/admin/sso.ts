/**
 * Single sign-on with OpenID Connect (Microsoft Entra ID, Google Workspace, any provider), by
 * `openid-client`: the authorization code flow with PKCE, and the state and nonce checked by the
 * library on the way back. The provider's settings are discovered once, at the first sign-in.
 *
 * Until the sign-in succeeds nothing is stored on the server: the PKCE verifier, state and nonce
 * travel in a signed, HttpOnly cookie of their own (sso-flow, path /admin/sso).
 */
import * as client from 'openid-client'
import type { Config } from '../config.js'

export interface SsoFlow { verifier: string, state: string, nonce: string, returnTo?: string | undefined, at: number }

/** Who the provider says signed in. */
export interface SsoIdentity { issuer: string, subject: string, email: string | undefined, emailVerified: boolean, name: string | undefined }

export interface Sso {
  readonly label: string
  readonly allowedDomains: readonly string[]
  /** Where to send the browser, and what to remember until it comes back. */
  start (returnTo: string | undefined, now: number): Promise<{ url: string, flow: SsoFlow }>
  /** Checks the provider's answer (`callbackUrl` as it arrived) against the flow; throws when it does not hold. */
  finish (callbackUrl: URL, flow: SsoFlow): Promise<SsoIdentity>
}

export const SSO_CALLBACK_PATH = '/admin/sso/callback'

export function createSso (sso: NonNullable<Config['sso']>, publicUrl: string): Sso {
  const redirectUri = `${publicUrl}${SSO_CALLBACK_PATH}`
  const loopback = sso.issuer.startsWith('http:')
  let discovered: Promise<client.Configuration> | undefined
  const configuration = () => {
    discovered ??= client.discovery(new URL(sso.issuer), sso.clientId, sso.clientSecret, undefined,
      loopback ? { execute: [client.allowInsecureRequests] } : undefined)
    // A provider that did not answer is asked again next time.
    discovered.catch(() => { discovered = undefined })
    return discovered
  }
  return {
    label: sso.label,
    allowedDomains: sso.allowedDomains,
    async start (returnTo, now) {
      const config = await configuration()
      const flow: SsoFlow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), returnTo, at: now }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      })
      return { url: url.href, flow }
    },
    async finish (callbackUrl, flow) {
      const config = await configuration()
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true,
      })
      const idToken = tokens.claims()!
      // Many providers put the email in the ID token; the others (and the standard) give it at the
      // userinfo endpoint, for the same subject (checked by the library).
      const claims: Record<string, unknown> = typeof idToken.email === 'string'
        ? idToken
        : { ...idToken, ...await client.fetchUserInfo(config, tokens.access_token, idToken.sub) }
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined
      return {
        issuer: idToken.iss,
        subject: idToken.sub,
        email,
        // Entra ID sends no email_verified; its optional claim xms_edov says the domain owner verified it.
        emailVerified: claims.email_verified === true || claims.xms_edov === true,
        name: typeof claims.name === 'string' ? claims.name : undefined,
      }
    },
  }
}
