/** The one place a checked submission becomes the payload of its form's CRM. */
import type { FormDefinition } from '../forms/schema.js'
import type { CheckedSubmission } from '../forms/submission.js'
import { toCharitylogPayload } from './charitylog-payload.js'
import { toLamplightPayload } from './lamplight-payload.js'
import type { CrmPayload } from './types.js'

export function toCrmPayload (form: FormDefinition, answers: CheckedSubmission, today: string): CrmPayload {
  const type = form.destination.type
  switch (type) {
    case 'charitylog': return toCharitylogPayload(form, answers)
    case 'lamplight': return toLamplightPayload(form, answers, today)
    default: {
      const unexpected: never = type
      throw new Error(`Unexpected destination type: ${String(unexpected)}`)
    }
  }
}
