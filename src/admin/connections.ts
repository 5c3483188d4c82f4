/**
 * The CRM connections as staff see them: which credentials are set (variable names only, never
 * values), a live test through the adapters' own `test…Connection`, and what came back read into a
 * list of IDs and names (Charitylog client types; the Lamplight workarea tree), so staff can fill in
 * the form files, with a warning for every live form whose mapping uses an ID the CRM does not list.
 */
import { CRM_NAMES, type Crms } from '../crm/index.js'
import { isRecord } from '../crm/http.js'
import type { DestinationType } from '../crm/types.js'
import type { FormDefinition } from '../forms/schema.js'

export { CRM_NAMES, DESTINATIONS } from '../crm/index.js'
export type { DestinationType }

export interface ConnectionStatus {
  destination: DestinationType
  name: string
  apiUrl: string
  /** Names of the variables still to set; empty when the credentials are all there. */
  missing: string[]
}

/** An ID the CRM knows, with its name and (Lamplight workareas) the ones under it. */
export interface CrmItem { id: string, name: string, children: CrmItem[] }

export type ConnectionTest =
  | { ok: false, reason: string }
  /** `items`: undefined when the answer was not in a shape we know (`raw` is shown instead). */
  | { ok: true, items: CrmItem[] | undefined, raw: string, warnings: string[] }

export function connectionStatus (crms: Crms, destination: DestinationType): ConnectionStatus {
  return { destination, name: CRM_NAMES[destination], ...crms.status(destination) }
}

export async function testConnection (crms: Crms, destination: DestinationType, forms: FormDefinition[]): Promise<ConnectionTest> {
  const check = await crms.testConnection(destination)
  if (!check.ok) return check
  const items = readItems(check.data)
  const raw = JSON.stringify(check.data, null, 2)?.slice(0, 5000) ?? ''
  return { ok: true, items, raw, warnings: items ? mappingWarnings(destination, forms, items) : [] }
}

/** Lists of `{id, name|text|…}` (bare, or in `data`), or an `{id: name}` map; undefined for anything else. */
export function readItems (data: unknown): CrmItem[] | undefined {
  const list = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data.data) ? data.data : undefined
  if (!list) {
    if (!isRecord(data) || Object.keys(data).length === 0) return undefined
    const entries = Object.entries(data)
    return entries.every(([, v]) => typeof v === 'string') ? entries.map(([id, name]) => ({ id, name: name as string, children: [] })) : undefined
  }
  const items: CrmItem[] = []
  for (const v of list) {
    if (!isRecord(v)) return undefined
    const id = v.id ?? v.ID ?? v.value
    if (typeof id !== 'number' && typeof id !== 'string') return undefined
    const name = [v.name, v.text, v.title, v.description, v.label].find((n) => typeof n === 'string') as string | undefined
    const children = Array.isArray(v.children) && v.children.length > 0 ? readItems(v.children) ?? [] : []
    items.push({ id: String(id), name: name ?? '', children })
  }
  return items
}

function allIds (items: CrmItem[]): Set<string> {
  return new Set(items.flatMap((i) => [i.id, ...allIds(i.children)]))
}

function mappingWarnings (destination: DestinationType, forms: FormDefinition[], items: CrmItem[]): string[] {
  const known = allIds(items)
  const warnings: string[] = []
  for (const f of forms) {
    const d = f.destination
    if (destination === 'lamplight' && d.type === 'lamplight' && !known.has(String(d.workareaid))) {
      warnings.push(`The form "${f.id}" sends referrals to workarea ${d.workareaid}, which Lamplight does not list.`)
    }
    if (destination === 'charitylog' && d.type === 'charitylog') {
      for (const g of f.people ?? []) {
        const id = g.charitylog?.org_type_id
        if (id !== undefined && !known.has(String(id))) {
          warnings.push(`The form "${f.id}", group "${g.key}", uses org_type_id ${id}, which is not one of Charitylog's client types.`)
        }
      }
    }
  }
  return warnings
}
