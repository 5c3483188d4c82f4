/**
 * The built-in texts of the public pages, in English and Welsh (`language: cy` in a form file).
 * Error messages follow the GOV.UK Design System's guidance: under the field, what to do, without
 * repeating the label beside it ("Enter a first name"); in the error summary, the same words and whose
 * answer it is (`whose`). A label that is a question ("How can we help?") cannot be turned into a noun,
 * so its answer is asked for as "an answer", and the summary names the question. The Welsh uses the
 * label unmutated, which reads correctly for quoted labels. A form file can give its own message per
 * field and rule (`errors:`, src/forms/schema.ts).
 */
export type Language = 'en' | 'cy'

export interface Texts {
  lang: Language
  optional: string
  submit: string
  addAnother: string
  remove: string
  removePerson: (n: number) => string
  person: (n: number) => string
  errorPrefix: string
  errorSummaryTitle: string
  errorTitlePrefix: (count: number) => string
  day: string
  month: string
  year: string
  dateHint: string
  selectPlaceholder: string
  showIfHint: (question: string, answers: string[]) => string
  confirmationHeading: string
  confirmationBody: string
  referenceLabel: string
  keepReference: string
  notFoundTitle: string
  notFoundBody: string
  unavailableTitle: string
  unavailableBody: string
  /** Said when the charity's phone or email is set (CONTACT_PHONE, CONTACT_EMAIL). */
  contactIntro: string
  contactPhone: string
  contactEmail: string
  months: readonly string[]
  /** Said above the form when its token was missing, invalid or expired: the answers are kept. */
  tokenNotice: (expired: boolean) => string
  tooManyNotice: string
  /** The database did not answer as the referral was being stored: nothing stored, answers kept. */
  storageNotice: string
  quickExit: string
  honeypotLabel: string
  /** The form's own "who is asking" lines (privacy_notice, contact). */
  about: { heading: string, privacy: string, phone: string, email: string }
  /** The visitor's confirmation email (a form's `confirmation.email: true`, with email alerts on). */
  confirmEmail: {
    label: string
    hint: string
    address: string
    /** What happens next, when the form's confirmation says nothing of its own. */
    next: string
    subject: (reference: string) => string
    /** Paragraphs of the email: who has the referral, the reference, what happens next, a word if it was not them. */
    body: (o: { charity: string | undefined, form: string, reference: string, next: string }) => string[]
  }
  err: {
    enter: (label: string) => string
    choose: (label: string) => string
    chooseSome: (label: string) => string
    tick: (label: string) => string
    tooLong: (label: string, max: number) => string
    email: (label: string) => string
    tel: (label: string) => string
    postcode: (label: string) => string
    number: (label: string) => string
    numberMin: (label: string, min: number) => string
    numberMax: (label: string, max: number) => string
    dateMissing: (label: string, parts: string) => string
    dateReal: (label: string) => string
    datePast: (label: string) => string
    dateFuture: (label: string) => string
    option: (label: string) => string
    tooManyPeople: (heading: string, max: number) => string
    tooFewPeople: (heading: string, min: number) => string
  }
  /**
   * The error summary's line for a field's message, saying whose answer it is: a person's
   * (`person` numbered in a group of many) under the group `heading`, or a top-level question.
   */
  whose: (message: string, o: { label: string, heading?: string | undefined, person?: number | undefined }) => string
}

const q = (label: string) => `‘${label.replace(/[?:]\s*$/, '')}’`
const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1)
/** "Enter an email address in the correct format under ‘About you’, like name@example.com": whose, before the example. */
const beforeExample = (m: string, like: string, whose: string) => {
  const i = m.indexOf(like)
  return i < 0 ? `${m} ${whose}` : `${m.slice(0, i)} ${whose}${m.slice(i)}`
}
/** A label that asks a question, not one that names a thing. */
export const isQuestion = (label: string) => /\?\s*$/.test(label)
/** The thing a label names, as it goes inside a sentence: "First name" → "first name"; "NHS number" stays. */
const noun = (label: string) => {
  const l = label.trim().replace(/[:.]\s*$/, '')
  return /^[A-Z][a-z]/.test(l) ? l[0]!.toLowerCase() + l.slice(1) : l
}
/** "a first name", "an email address", "your postcode" (no article before your, their, the...). */
const withArticle = (label: string) => {
  const n = noun(label)
  if (/^(your|their|his|her|its|our|the|this|that|any|some)\b/i.test(n)) return n
  return `${/^[aeiou]/i.test(n) ? 'an' : 'a'} ${n}`
}

const en: Texts = {
  lang: 'en',
  optional: '(optional)',
  submit: 'Send referral',
  addAnother: 'Add another person',
  remove: 'Remove',
  removePerson: (n) => `Remove person ${n}`,
  person: (n) => `Person ${n}`,
  errorPrefix: 'Error:',
  errorSummaryTitle: 'There is a problem',
  errorTitlePrefix: (count) => `Error (${count}): `,
  day: 'Day',
  month: 'Month',
  year: 'Year',
  dateHint: 'For example, 27 3 2007',
  selectPlaceholder: 'Choose one',
  showIfHint: (question, answers) => `Only answer this if your answer to ${q(question)} was ${answers.map((a) => `‘${a}’`).join(' or ')}.`,
  confirmationHeading: 'Referral sent',
  confirmationBody: 'Thank you. We have your referral and we will be in touch.',
  referenceLabel: 'Your reference',
  keepReference: 'Keep this reference in case you need to contact us about your referral.',
  notFoundTitle: 'Page not found',
  notFoundBody: 'If you typed the web address, check it is correct. If you followed a link, the form may have moved or closed.',
  unavailableTitle: 'This form is not available at the moment',
  unavailableBody: 'We are sorry: the form cannot be filled in just now. Please try again later, or contact the charity another way.',
  contactIntro: 'You can contact us:',
  contactPhone: 'Telephone:',
  contactEmail: 'Email:',
  tokenNotice: (expired) => expired
    ? 'This page was open for a long time, so we could not send it. Your answers are still here: check them and press the button again.'
    : 'We could not send the form. Your answers are still here: check them and press the button again.',
  tooManyNotice: 'There have been a lot of attempts from your connection. Your answers are still here: wait a few minutes, then press the button again.',
  storageNotice: 'Sorry, we could not save your referral just now, so it has not been sent. Your answers are still here: wait a minute, then press Send referral again.',
  quickExit: 'Exit this page',
  honeypotLabel: 'Leave this box empty',
  about: { heading: 'Questions about this form', privacy: 'How we use your information (privacy notice)', phone: 'Phone:', email: 'Email:' },
  confirmEmail: {
    label: 'Email me a confirmation with my reference',
    hint: 'The email has your reference and what happens next, never your answers. Anyone who can read your emails will see that you sent a referral.',
    address: 'Your email address',
    next: 'We will be in touch.',
    subject: (reference) => `We have your referral: ${reference}`,
    body: ({ charity, form, reference, next }) => [
      `Thank you. ${charity ?? 'We'} ${charity ? 'has' : 'have'} your referral (${form}).`,
      `Your reference is ${reference}. Keep it in case you need to contact us about your referral.`,
      `What happens next: ${next}`,
      'This email does not contain your answers. If you did not send a referral, you can ignore this email.',
    ],
  },
  months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  err: {
    enter: (l) => (isQuestion(l) ? 'Enter an answer' : `Enter ${withArticle(l)}`),
    choose: () => 'Select an option',
    chooseSome: () => 'Select at least one option',
    tick: () => 'Tick the box to go on',
    tooLong: (_l, max) => `Enter ${max} characters or fewer`,
    email: () => 'Enter an email address in the correct format, like name@example.com',
    tel: () => 'Enter a phone number, like 01632 960 001 or +44 7700 900 982',
    postcode: () => 'Enter a full UK postcode, like SW1A 2AA',
    number: () => 'Enter a number, like 12',
    numberMin: (_l, min) => `Enter a number of ${min} or more`,
    numberMax: (_l, max) => `Enter a number of ${max} or less`,
    dateMissing: (_l, parts) => `The date must include a ${parts}`,
    dateReal: () => 'Enter a real date, like 27 3 2007',
    datePast: () => 'The date must be in the past',
    dateFuture: () => 'The date must be in the future',
    option: () => 'Select one of the options given',
    tooManyPeople: (h, max) => `${q(h)}: you can tell us about ${max} ${max === 1 ? 'person' : 'people'} at most. Remove the extra ones`,
    tooFewPeople: (h, min) => `${q(h)}: tell us about at least ${min} ${min === 1 ? 'person' : 'people'}`,
  },
  whose: (m, o) => o.heading === undefined
    ? (isQuestion(o.label) || /^(Select|Tick)/.test(m) ? `${q(o.label)}: ${lowerFirst(m)}` : m)
    : beforeExample(m, ', like ', `${o.person === undefined ? 'under' : `for person ${o.person} in`} ${q(o.heading)}`),
}

const cy: Texts = {
  lang: 'cy',
  optional: '(dewisol)',
  submit: 'Anfon yr atgyfeiriad',
  addAnother: 'Ychwanegu person arall',
  remove: 'Tynnu',
  removePerson: (n) => `Tynnu person ${n}`,
  person: (n) => `Person ${n}`,
  errorPrefix: 'Gwall:',
  errorSummaryTitle: 'Mae problem wedi codi',
  errorTitlePrefix: (count) => `Gwall (${count}): `,
  day: 'Diwrnod',
  month: 'Mis',
  year: 'Blwyddyn',
  dateHint: 'Er enghraifft, 27 3 2007',
  selectPlaceholder: 'Dewiswch un',
  showIfHint: (question, answers) => `Atebwch hwn dim ond os mai ${answers.map((a) => `‘${a}’`).join(' neu ')} oedd eich ateb i ${q(question)}.`,
  confirmationHeading: 'Atgyfeiriad wedi’i anfon',
  confirmationBody: 'Diolch. Mae eich atgyfeiriad gennym a byddwn yn cysylltu â chi.',
  referenceLabel: 'Eich cyfeirnod',
  keepReference: 'Cadwch y cyfeirnod hwn rhag ofn y bydd angen i chi gysylltu â ni am eich atgyfeiriad.',
  notFoundTitle: 'Heb ddod o hyd i’r dudalen',
  notFoundBody: 'Os gwnaethoch deipio’r cyfeiriad gwe, gwiriwch ei fod yn gywir. Os gwnaethoch ddilyn dolen, efallai bod y ffurflen wedi symud neu gau.',
  unavailableTitle: 'Nid yw’r ffurflen hon ar gael ar hyn o bryd',
  unavailableBody: 'Mae’n ddrwg gennym: ni ellir llenwi’r ffurflen ar hyn o bryd. Rhowch gynnig arall arni yn nes ymlaen, neu cysylltwch â’r elusen mewn ffordd arall.',
  contactIntro: 'Gallwch gysylltu â ni:',
  contactPhone: 'Ffôn:',
  contactEmail: 'E-bost:',
  tokenNotice: (expired) => expired
    ? 'Roedd y dudalen hon ar agor am amser hir, felly nid oeddem yn gallu ei hanfon. Mae eich atebion yma o hyd: gwiriwch nhw a phwyswch y botwm eto.'
    : 'Nid oeddem yn gallu anfon y ffurflen. Mae eich atebion yma o hyd: gwiriwch nhw a phwyswch y botwm eto.',
  tooManyNotice: 'Bu llawer o ymdrechion o’ch cysylltiad chi. Mae eich atebion yma o hyd: arhoswch ychydig funudau, yna pwyswch y botwm eto.',
  storageNotice: 'Mae’n ddrwg gennym, nid oedd modd cadw eich atgyfeiriad ar hyn o bryd, felly nid yw wedi’i anfon. Mae eich atebion yma o hyd: arhoswch funud, yna pwyswch Anfon yr atgyfeiriad eto.',
  quickExit: 'Gadael y dudalen hon',
  honeypotLabel: 'Gadewch y blwch hwn yn wag',
  about: { heading: 'Cwestiynau am y ffurflen hon', privacy: 'Sut rydym yn defnyddio eich gwybodaeth (hysbysiad preifatrwydd)', phone: 'Ffôn:', email: 'E-bost:' },
  confirmEmail: {
    label: 'Anfonwch gadarnhad ataf drwy e-bost gyda fy nghyfeirnod',
    hint: 'Mae’r e-bost yn cynnwys eich cyfeirnod a beth sy’n digwydd nesaf, byth eich atebion. Bydd unrhyw un sy’n gallu darllen eich e-byst yn gweld eich bod wedi anfon atgyfeiriad.',
    address: 'Eich cyfeiriad e-bost',
    next: 'Byddwn yn cysylltu â chi.',
    subject: (reference) => `Mae eich atgyfeiriad gennym: ${reference}`,
    body: ({ charity, form, reference, next }) => [
      `Diolch. Mae eich atgyfeiriad (${form}) gan ${charity ?? 'ein tîm'}.`,
      `Eich cyfeirnod yw ${reference}. Cadwch ef rhag ofn y bydd angen i chi gysylltu â ni am eich atgyfeiriad.`,
      `Beth sy’n digwydd nesaf: ${next}`,
      'Nid yw’r e-bost hwn yn cynnwys eich atebion. Os na wnaethoch anfon atgyfeiriad, gallwch anwybyddu’r e-bost hwn.',
    ],
  },
  months: ['Ionawr', 'Chwefror', 'Mawrth', 'Ebrill', 'Mai', 'Mehefin', 'Gorffennaf', 'Awst', 'Medi', 'Hydref', 'Tachwedd', 'Rhagfyr'],
  err: {
    enter: (l) => (isQuestion(l) ? 'Rhowch ateb' : `Rhowch ${noun(l)}`),
    choose: () => 'Dewiswch opsiwn',
    chooseSome: () => 'Dewiswch o leiaf un opsiwn',
    tick: () => 'Ticiwch y blwch i fynd ymlaen',
    tooLong: (_l, max) => `Rhowch ${max} nod neu lai`,
    email: () => 'Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com',
    tel: () => 'Rhowch rif ffôn, fel 01632 960 001 neu +44 7700 900 982',
    postcode: () => 'Rhowch god post llawn yn y DU, fel CF10 1AA',
    number: () => 'Rhowch rif, fel 12',
    numberMin: (_l, min) => `Rhowch rif o ${min} neu fwy`,
    numberMax: (_l, max) => `Rhowch rif o ${max} neu lai`,
    dateMissing: (_l, parts) => `Rhaid i’r dyddiad gynnwys ${parts}`,
    dateReal: () => 'Rhowch ddyddiad go iawn, fel 27 3 2007',
    datePast: () => 'Rhaid i’r dyddiad fod yn y gorffennol',
    dateFuture: () => 'Rhaid i’r dyddiad fod yn y dyfodol',
    option: () => 'Dewiswch un o’r opsiynau a roddwyd',
    tooManyPeople: (h, max) => `${q(h)}: gallwch roi manylion ${max} ${max === 1 ? 'person' : 'o bobl'} ar y mwyaf. Tynnwch y rhai ychwanegol`,
    tooFewPeople: (h, min) => `${q(h)}: rhowch fanylion o leiaf ${min} ${min === 1 ? 'person' : 'o bobl'}`,
  },
  whose: (m, o) => o.heading === undefined
    ? (isQuestion(o.label) || /^(Dewiswch|Ticiwch)/.test(m) ? `${q(o.label)}: ${lowerFirst(m)}` : m)
    : beforeExample(m, ', fel ', `${o.person === undefined ? 'o dan' : `ar gyfer person ${o.person} yn`} ${q(o.heading)}`),
}

export const texts: Record<Language, Texts> = { en, cy }

/** The names of missing date parts, in the form's language ("day and year", "diwrnod a blwyddyn"). */
export function dateParts (t: Texts, missing: Array<'day' | 'month' | 'year'>): string {
  const words = missing.map((p) => t[p].toLowerCase())
  const and = t.lang === 'cy' ? ' a ' : ' and '
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')}${and}${words.at(-1)}`
}
