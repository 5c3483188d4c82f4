/**
 * Queues submissions straight into a data folder's database, as the POST route would have stored
 * them (checked, mapped to the CRM payload, encrypted), in one transaction: a backlog for the drain
 * row and the backlog study, made in a second instead of minutes of HTTP.
 */
import { toCrmPayload } from '../src/crm/payload.js'
import { loadFormsDir } from '../src/forms/load.js'
import { readableCopy } from '../src/forms/readable.js'
import { checkSubmission, readSubmission } from '../src/forms/submission.js'
import { texts } from '../src/forms/texts.js'
import { ukToday } from '../src/forms/today.js'
import { openStorage, type NewSubmission } from '../src/storage/index.js'
import { BENCH_SECRET } from './servers.js'
import { carersAnswers, FORM_ID } from './submissions.js'

/** A checked submission of the carers form for visitor `n`, ready to store. */
export async function checkedSubmission (formsDir: string, n: number, formId = FORM_ID, answers = carersAnswers(n)): Promise<NewSubmission> {
  const { forms } = await loadFormsDir(formsDir)
  const form = forms.get(formId)
  if (!form) throw new Error(`No form ${formId} in ${formsDir}`)
  const def = form.definition
  const t = texts[def.language ?? 'en']
  const today = ukToday(new Date())
  const result = checkSubmission(def, readSubmission(def, Object.fromEntries(answers)), t, today)
  if (!result.ok) throw new Error(`The bench's answers are not valid: ${JSON.stringify(result.errors)}`)
  return {
    formId: def.id,
    formHash: form.hash,
    destination: def.destination.type,
    payload: toCrmPayload(def, result.answers, today),
    answers: readableCopy(def, result.answers, t),
  }
}

/** Stores `count` waiting submissions (due now, or at `dueAt`) in `dataDir` (or the PostgreSQL database of `databaseUrl`). */
export async function seedWaiting (dataDir: string, formsDir: string, count: number, dueAt = Date.now(), databaseUrl?: string): Promise<void> {
  const s = await checkedSubmission(formsDir, 0)
  const storage = await openStorage({ dataDir, secret: BENCH_SECRET, databaseUrl })
  try {
    await storage.submissions.insertMany(Array.from({ length: count }, () => s), dueAt)
  } finally {
    await storage.close()
  }
}
