/**
 * The CRMs as configured, wired in one place: an adapter for each destination whose credentials are
 * all set, the reason for each that is not (variable names, never values), and the connection test
 * staff run from the staff pages, which goes through the same HTTP settings as deliveries.
 */
import { createCharitylogAdapter, testCharitylogConnection } from './charitylog.js'
import type { ConnectionCheck, HttpOptions } from './http.js'
import { createLamplightAdapter, testLamplightConnection } from './lamplight.js'
import type { CrmAdapter, CrmConfig, DestinationType } from './types.js'

export const DESTINATIONS: readonly DestinationType[] = ['charitylog', 'lamplight']
export const CRM_NAMES: Record<DestinationType, string> = { charitylog: 'Charitylog', lamplight: 'Lamplight' }

export interface Crms {
  /** Adapters of the destinations that have credentials. */
  adapters: Partial<Record<DestinationType, CrmAdapter>>
  /** Why a destination has no adapter ("Charitylog is not configured: set … and restart the server"). */
  notConfigured: Partial<Record<DestinationType, string>>
  /** Asks the CRM for its list of IDs (Charitylog client types, Lamplight workareas). */
  testConnection (destination: DestinationType): Promise<ConnectionCheck>
  /** The API address and the variables still to set, for the staff pages. */
  status (destination: DestinationType): { apiUrl: string, missing: string[] }
}

export function createCrms (config: CrmConfig, http: HttpOptions = {}): Crms {
  const cl = config.charitylog
  const ll = config.lamplight
  const clOptions = cl.credentials && { apiUrl: cl.apiUrl, credentials: cl.credentials, ...http }
  const llOptions = ll.credentials && { apiUrl: ll.apiUrl, credentials: ll.credentials, ...http }
  const adapters: Crms['adapters'] = {}
  const notConfigured: Crms['notConfigured'] = {}
  if (clOptions) adapters.charitylog = createCharitylogAdapter(clOptions)
  if (llOptions) adapters.lamplight = createLamplightAdapter(llOptions)
  for (const d of DESTINATIONS) {
    if (!adapters[d]) notConfigured[d] = `${CRM_NAMES[d]} is not configured: set ${config[d].missing.join(', ')} and restart the server`
  }
  return {
    adapters,
    notConfigured,
    async testConnection (destination) {
      if (destination === 'charitylog' && clOptions) return testCharitylogConnection(clOptions)
      if (destination === 'lamplight' && llOptions) return testLamplightConnection(llOptions)
      return { ok: false, reason: notConfigured[destination] ?? `${CRM_NAMES[destination]} is not configured` }
    },
    status: (destination) => ({ apiUrl: config[destination].apiUrl, missing: config[destination].missing }),
  }
}
