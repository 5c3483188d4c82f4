/** Opening the sealed columns of a submission, the same whichever database they were read from. */
import type { CrmPayload } from '../crm/types.js'
import type { Sealer } from '../security/encryption.js'
import type { PersonalData, ReadableSection } from './types.js'

export interface SealedColumns { payload: Buffer | null, answers: Buffer | null, crm_response: Buffer | null }

/** The opened payload, answers and CRM answer; undefined when there is no row or its data was purged. */
export function openPersonalData (sealer: Sealer, reference: string, row: SealedColumns | undefined): PersonalData | undefined {
  if (!row || row.payload === null || row.answers === null) return undefined
  return {
    payload: JSON.parse(sealer.open(row.payload, reference)) as CrmPayload,
    answers: JSON.parse(sealer.open(row.answers, reference)) as ReadableSection[],
    crmResponse: row.crm_response === null ? undefined : sealer.open(row.crm_response, reference),
  }
}
