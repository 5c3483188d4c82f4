/**
 * The public form pages (spec: HTML contract). GET shows the form; POST either re-renders it (a
 * no-JavaScript add/remove: 200, no errors; invalid answers: 422 with the error summary), or stores
 * the referral durably and redirects (303) to its confirmation. Storing happens before the redirect,
 * so "we have your referral" is only ever said of a committed row.
 *
 * Framing: a form's pages may be put in an iframe only by the origins its file lists
 * (`embed.allowed_origins`); every other page keeps `frame-ancestors 'none'` (see framingHeaders).
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { toCrmPayload } from '../crm/payload.js'
import type { Body } from '../forms/fields.js'
import type { LoadedForm } from '../forms/load.js'
import { readableCopy } from '../forms/readable.js'
import { applyAction, blankSubmission, checkSubmission, readAction, readSubmission, type PageError, type RawSubmission } from '../forms/submission.js'
import { texts } from '../forms/texts.js'
import { ukToday } from '../forms/today.js'
import { formPageView, paragraphs } from '../forms/view-model.js'
import { REFERENCE_PATTERN } from '../outbox/sqlite-store.js'
import { TOKEN_TTL_MS, type TokenCheck, type TokenKind } from '../security/form-token.js'
import { createBlankPages } from './blank-page.js'
import { renderNotFound } from './pages.js'

interface FormParams { id: string }
interface EmbedQuery { embed?: string }

/** Form POSTs (submissions and no-JS add/remove) per client address per minute. */
export const POSTS_PER_MINUTE = 30
/** Failed submissions (invalid answers or token) per client address per ten minutes. */
export const FAILURES_PER_TEN_MINUTES = 15
/** The honeypot: a field people never see; software that fills in everything fills it in. */
export const HONEYPOT_FIELD = '_website'
export const TOKEN_FIELD = '_token'
/** The form token a body carries, if it carries one as a string. */
const tokenOf = (body: Body): string | undefined => (typeof body[TOKEN_FIELD] === 'string' ? body[TOKEN_FIELD] : undefined)
/** Where "Exit this page" goes: a neutral site, as the GOV.UK component does. */
export const QUICK_EXIT_URL = 'https://www.bbc.co.uk/weather'

/** An origin as browsers write it (`location.origin`: lower-case host, no default port), or undefined. */
function canonicalOrigin (s: string): string | undefined {
  try {
    return new URL(s).origin
  } catch {
    return undefined
  }
}

/**
 * The embedding page's origin (embed.js sends `location.origin`), if the form allows it; anything else
 * is ignored. Compared as origins, so `https://WWW.Example.org:443` in a form file matches what the
 * browser sends, as the CSP's frame-ancestors matches it.
 */
function embedOrigin (form: LoadedForm | undefined, req: FastifyRequest<{ Querystring: EmbedQuery }>): string | undefined {
  const origin = typeof req.query.embed === 'string' ? req.query.embed : undefined
  if (!origin || canonicalOrigin(origin) !== origin) return undefined
  return form?.definition.embed?.allowed_origins?.some((o) => canonicalOrigin(o) === origin) ? origin : undefined
}

/**
 * The kind of token given back in place of a refused one: `r` (not timed) only after an expired token,
 * whose answers were typed long ago; anything else gets a fresh `f`, timed like a new form.
 */
function reissuedKind (check: TokenCheck): TokenKind {
  return !check.ok && check.reason === 'expired' ? 'r' : 'f'
}

interface RenderOptions {
  status?: number
  embed?: string | undefined
  token: string
  notice?: string
}

/** What the form template is given. */
function formPageData (form: LoadedForm, raw: RawSubmission, errors: PageError[], o: RenderOptions) {
  const def = form.definition
  const t = texts[def.language ?? 'en']
  const query = o.embed ? `?embed=${encodeURIComponent(o.embed)}` : ''
  const page = formPageView(def, raw, errors, t, `/forms/${def.id}${query}`)
  const pageTitle = (errors.length > 0 || o.notice ? t.errorTitlePrefix(Math.max(errors.length, 1)) : '') + def.title
  return {
    ...page,
    pageTitle,
    embedOrigin: o.embed,
    notice: o.notice,
    quickExit: def.quick_exit ? QUICK_EXIT_URL : undefined,
    hiddenInputs: [{ name: TOKEN_FIELD, value: o.token }],
    honeypot: HONEYPOT_FIELD,
  }
}

export function renderForm (reply: FastifyReply, form: LoadedForm, raw: RawSubmission, errors: PageError[], o: RenderOptions) {
  return reply.code(o.status ?? 200).header('cache-control', 'no-store').view('form', formPageData(form, raw, errors, o))
}

export default async function formRoutes (app: FastifyInstance) {
  const { forms, store, now, tokens } = app.services
  const minFillMs = app.services.config.minFillSeconds * 1000
  const blankPage = createBlankPages((form, embed, token) =>
    app.view('form', formPageData(form, blankSubmission(form.definition), [], { embed, token })))

  await app.register(rateLimit, {
    global: false,
    // Checked after the body is parsed, so a limited visitor's answers can be shown back to them.
    hook: 'preHandler',
    // A visitor's browser has no use for the X-RateLimit-* counters on every answer; a 429 still says
    // when to try again (Retry-After, below).
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': false },
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error('Too many requests'), { statusCode: 429, retryAfter: String(Math.ceil(ctx.ttl / 1000)) }),
  })
  const countFailure = app.createRateLimit({ max: FAILURES_PER_TEN_MINUTES, timeWindow: 10 * 60 * 1000 })

  // Too many POSTs: the visitor's answers come back with a notice instead of a bare 429 page. Every
  // other error goes on to the app's kind error pages.
  app.setErrorHandler(async (err: FastifyError & { retryAfter?: string }, req, reply) => {
    const form = req.method === 'POST' ? forms.get((req.params as Partial<FormParams>).id ?? '') : undefined
    if (err.statusCode !== 429 || !form || req.body === null || typeof req.body !== 'object') throw err
    const def = form.definition
    const at = now().getTime()
    const body = req.body as Body
    const given = tokenOf(body)
    const check = tokens.verify(given, def.id, at)
    req.log.warn({ form: def.id }, 'Too many form posts from one address')
    if (err.retryAfter) reply.header('retry-after', err.retryAfter)
    return renderForm(reply, form, readSubmission(def, body), [], {
      status: 429,
      embed: embedOrigin(form, req as FastifyRequest<{ Querystring: EmbedQuery }>),
      token: check.ok && given !== undefined ? given : tokens.issue(def.id, at, reissuedKind(check)),
      notice: texts[def.language ?? 'en'].tooManyNotice,
    })
  })

  // Framing policy: the exact allowed origins of this form, or nobody (helmet's default stays). The
  // policy of a form is worked out once per loaded form (an edited form is a new object).
  const framedCsp = new WeakMap<LoadedForm, string>()
  app.addHook('onSend', async (req, reply, payload) => {
    const id = (req.params as Partial<FormParams> | undefined)?.id
    const form = id ? forms.get(id) : undefined
    const origins = form?.definition.embed?.allowed_origins ?? []
    const csp = reply.getHeader('content-security-policy')
    if (form && origins.length > 0 && typeof csp === 'string') {
      let framed = framedCsp.get(form)
      if (framed === undefined) framedCsp.set(form, framed = csp.replace(/frame-ancestors [^;]*/, `frame-ancestors ${origins.join(' ')}`))
      reply.header('content-security-policy', framed)
      reply.removeHeader('x-frame-options')
    }
    return payload
  })

  app.get<{ Params: FormParams, Querystring: EmbedQuery }>('/forms/:id', async (req, reply) => {
    const form = forms.get(req.params.id)
    if (!form) return renderNotFound(reply)
    const token = tokens.issue(form.definition.id, now().getTime())
    const html = await blankPage(form, embedOrigin(form, req), token)
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html)
  })

  app.post<{ Params: FormParams, Body: Body, Querystring: EmbedQuery }>('/forms/:id', {
    config: { rateLimit: { max: POSTS_PER_MINUTE, timeWindow: 60 * 1000 } },
  }, async (req, reply) => {
    const form = forms.get(req.params.id)
    if (!form) return renderNotFound(reply)
    const def = form.definition
    const t = texts[def.language ?? 'en']
    const embed = embedOrigin(form, req)
    const body: Body = req.body !== null && typeof req.body === 'object' ? req.body : {}
    const raw = readSubmission(def, body)
    const at = now().getTime()
    const given = tokenOf(body)
    const check: TokenCheck = tokens.verify(given, def.id, at)
    // A valid token goes back into the page unchanged (its nonce is only spent when a referral is
    // stored); a bad one is replaced, so pressing the button again works.
    const token = check.ok && given !== undefined ? given : tokens.issue(def.id, at, reissuedKind(check))

    const action = readAction(body)
    if (action) return renderForm(reply, form, applyAction(def, raw, action), [], { embed, token })

    const today = ukToday(now())
    const result = checkSubmission(def, raw, t, today)
    if (!check.ok || !result.ok) {
      const limited = await countFailure(req)
      const notice = !check.ok ? t.tokenNotice(check.reason === 'expired') : undefined
      if (!limited.isAllowed && limited.isExceeded) {
        req.log.warn({ form: def.id }, 'Too many failed submissions from one address')
        return renderForm(reply, form, raw, result.ok ? [] : result.errors, { status: 429, embed, token, notice: t.tooManyNotice })
      }
      if (!result.ok) return renderForm(reply, form, raw, result.errors, { status: 422, embed, token, notice })
      req.log.info({ form: def.id, token: check.ok ? 'ok' : check.reason }, 'Submission without a valid form token: answers shown again')
      return renderForm(reply, form, raw, [], { status: 400, embed, token, notice })
    }

    // Spam: a filled honeypot, or a first-time token used faster than any person types.
    const honeypot = body[HONEYPOT_FIELD]
    const quarantineReason = typeof honeypot === 'string' && honeypot.trim() !== ''
      ? 'The hidden anti-spam field was filled in'
      : check.claims.kind === 'f' && at - check.claims.issuedAt < minFillMs ? `Sent ${at - check.claims.issuedAt} ms after the form was shown` : undefined

    const stored = await store.insertOnceGrouped({
      formId: def.id,
      formHash: form.hash,
      destination: def.destination.type,
      payload: toCrmPayload(def, result.answers, today),
      answers: readableCopy(def, result.answers, t),
    }, at, { nonce: check.claims.nonce, nonceExpiresAt: check.claims.issuedAt + TOKEN_TTL_MS, ...(quarantineReason && { quarantineReason }) })
    if (stored.duplicate) {
      req.log.info({ reference: stored.reference, form: def.id }, 'Form token already used: showing the same confirmation, nothing stored')
    } else if (quarantineReason) {
      req.log.warn({ reference: stored.reference, form: def.id }, 'Submission quarantined as probable spam')
    } else {
      req.log.info({ reference: stored.reference, form: def.id }, 'Referral stored')
      app.services.relay.worker.wake()
    }
    const query = embed ? `?embed=${encodeURIComponent(embed)}` : ''
    return reply.code(303).header('location', `/forms/${def.id}/sent/${stored.reference}${query}`).send()
  })

  app.get<{ Params: FormParams & { reference: string }, Querystring: EmbedQuery }>('/forms/:id/sent/:reference', async (req, reply) => {
    const form = forms.get(req.params.id)
    const ref = req.params.reference.toUpperCase()
    const row = REFERENCE_PATTERN.test(ref) ? store.findByReference(ref) : undefined
    if (!form || !row || row.form_id !== form.definition.id) return renderNotFound(reply, form?.definition.language)
    const def = form.definition
    const t = texts[def.language ?? 'en']
    return reply.header('cache-control', 'no-store').view('confirmation', {
      lang: t.lang,
      pageTitle: `${def.confirmation?.heading ?? t.confirmationHeading} – ${def.title}`,
      heading: def.confirmation?.heading ?? t.confirmationHeading,
      body: paragraphs(def.confirmation?.body ?? t.confirmationBody),
      reference: row.reference,
      embedOrigin: embedOrigin(form, req),
      // "Exit this page" stays on every page of the form, the confirmation too (as GOV.UK's component).
      quickExit: def.quick_exit ? QUICK_EXIT_URL : undefined,
      t,
    })
  })
}
