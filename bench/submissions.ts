/**
 * Valid submissions of the carers form, as a browser posts them: a carer, one person cared for, the
 * top-level answers and a fresh form token. Tokens are issued with the server's own code and key
 * (BENCH_SECRET), dated a minute back as if the visitor had spent a minute typing: each is single
 * use (its nonce is spent when the referral is stored), so every request needs its own.
 */
import { createFormTokens } from '../src/security/form-token.js'
import { BENCH_SECRET } from './servers.js'

export const FORM_ID = 'carers-referral'
export const FORM_PATH = `/forms/${FORM_ID}`

const tokens = createFormTokens(BENCH_SECRET)
const NAMES = ['Alice', 'Bashir', 'Ceri', 'Dafydd', 'Eilidh', 'Fatima', 'Gareth', 'Hannah']

/** The answers of visitor `n` (varied a little, so no two bodies are identical). */
export function carersAnswers (n: number): Array<[string, string]> {
  const first = NAMES[n % NAMES.length]!
  return [
    ['carer[0][_]', '1'],
    ['carer[0][first_name]', first], ['carer[0][surname]', `Jones${n}`],
    ['carer[0][email]', `${first.toLowerCase()}.${n}@example.org`], ['carer[0][phone]', '01989 567890'],
    ['carer[0][address1]', `${(n % 200) + 1} Orchard Lane`], ['carer[0][postcode]', 'hr9 7us'], ['carer[0][ethnicity]', '35'],
    ['cared_for[0][_]', '1'],
    ['cared_for[0][first_name]', 'Morgan'], ['cared_for[0][surname]', `Jones${n}`],
    ['cared_for[0][date_of_birth][day]', String((n % 28) + 1)], ['cared_for[0][date_of_birth][month]', '4'],
    ['cared_for[0][date_of_birth][year]', '1942'],
    ['reason', 'I look after my mother, who has dementia, and I need a break now and then. Evenings are hardest.'],
    ['heard_from', 'GP'], ['consent', 'yes'],
  ]
}

/** A urlencoded body for visitor `n`, with a token of its own for `formId`. */
export function submissionBody (n: number, formId = FORM_ID, answers = carersAnswers(n)): string {
  const token = tokens.issue(formId, Date.now() - 60_000)
  return new URLSearchParams([...answers, ['_token', token], ['_action', 'submit']]).toString()
}
