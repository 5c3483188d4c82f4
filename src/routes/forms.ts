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
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Body } from '../forms/fields.js'
import type { LoadedForm } from '../forms/load.js'
import { asShown } from '../forms/confirm-email.js'
import { blankSubmission, readSubmission, type PageError, type RawSubmission } from '../forms/submission.js'
import { texts } from '../forms/texts.js'
import { ukToday } from '../forms/today.js'
import { formPage, paragraphs, QUICK_EXIT_URL } from '../forms/view-model.js'
import { receiveSubmission } from '../intake/submit.js'
import { readReference } from '../outbox/reference.js'
import { TOKEN_FIELD } from '../security/form-token.js'
import { isUnavailable } from '../storage/index.js'
import { createBlankPages } from './blank-page.js'
import { renderNotFound, renderUnavailable, tooManyRequests, type TooManyRequests } from './pages.js'

interface FormParams { id: string }
interface EmbedQuery { embed?: string }

/** Form POSTs (submissions and no-JS add/remove) per client address per minute. */
export const POSTS_PER_MINUTE = 30
/** Failed submissions (invalid answers or token) per client address per ten minutes. */
export const FAILURES_PER_TEN_MINUTES = 15
/** Untimed tokens given for expired ones, per client address per hour (a person needs one now and then). */
export const UNTIMED_TOKENS_PER_HOUR = 5

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

interface RenderOptions {
  /** Email can be sent (the confirmation email may be offered). */
  mailOn: boolean
  status?: number
  embed?: string | undefined
  token: string
  notice?: string | undefined
}

/** What the form template is given for a visitor's page. */
function formPageData (form: LoadedForm, raw: RawSubmission, errors: PageError[], o: RenderOptions) {
  const query = o.embed ? `?embed=${encodeURIComponent(o.embed)}` : ''
  return formPage(asShown(form.definition, o.mailOn), raw, errors, {
    action: `/forms/${form.definition.id}${query}`,
    hiddenInputs: [{ name: TOKEN_FIELD, value: o.token }],
    notice: o.notice === undefined ? undefined : { text: o.notice, problem: true },
    embedOrigin: o.embed,
  })
}

function renderForm (reply: FastifyReply, form: LoadedForm, raw: RawSubmission, errors: PageError[], o: RenderOptions) {
  return reply.code(o.status ?? 200).header('cache-control', 'no-store').view('form', formPageData(form, raw, errors, o))
}

export default async function formRoutes (app: FastifyInstance) {
  const { forms, storage, now, tokens } = app.services
  const mailOn = app.services.config.mail !== undefined
  const intake = { tokens, submissions: storage.submissions, minFillMs: app.services.config.minFillSeconds * 1000, mailOn }
  const { site } = app.services
  const blankPage = createBlankPages((form, embed, token) => {
    const s = site.current()
    return app.view('form', {
      ...formPageData(form, blankSubmission(asShown(form.definition, mailOn)), [], { embed, token, mailOn }),
      site: s,
      siteCss: s.accent ? `/site.css?v=${site.version()}` : undefined,
      siteLogo: s.logo ? `/site-logo?v=${site.version()}` : undefined,
    })
  }, () => site.version())

  // Counted in the handler, after the body is parsed, so a limited visitor's answers can be shown
  // back to them; no X-RateLimit-* counters on the answers (a 429 says when to try again).
  await app.register(rateLimit, { global: false })
  const countPost = app.createRateLimit({ max: POSTS_PER_MINUTE, timeWindow: 60 * 1000 })
  const countFailure = app.createRateLimit({ max: FAILURES_PER_TEN_MINUTES, timeWindow: 10 * 60 * 1000 })
  const countUntimed = app.createRateLimit({ max: UNTIMED_TOKENS_PER_HOUR, timeWindow: 60 * 60 * 1000 })
  const mayReissueUntimed = (req: FastifyRequest) => async () => {
    const r = await countUntimed(req)
    if (!r.isAllowed && r.isExceeded) req.log.warn('Too many expired form tokens from one address: the new token is timed')
    return r.isAllowed || !r.isExceeded
  }
  /** The form again with the visitor's answers and a notice, with 429 and Retry-After. */
  const tooMany = (reply: FastifyReply, form: LoadedForm, raw: RawSubmission, errors: PageError[], o: RenderOptions, limit: TooManyRequests) => {
    reply.header('retry-after', limit.retryAfter)
    return renderForm(reply, form, raw, errors, { ...o, status: 429, notice: texts[form.definition.language ?? 'en'].tooManyNotice })
  }

  /** No such form (404), or a form whose file is broken: a kind "not available" page, and an error in the log. */
  const missing = (req: FastifyRequest, reply: FastifyReply, id: string) => {
    if (!forms.isBroken(id)) return renderNotFound(reply)
    req.log.error({ form: id }, 'A visitor asked for a form whose file is broken: fix it on the staff pages (Forms)')
    // In the form's own language (its framing, as for a live form, is the onSend hook's below).
    return renderUnavailable(reply, forms.salvaged(id)?.language, app.services.config.contact)
  }

  // Framing policy: the exact allowed origins of this form, or nobody (helmet's default stays). A
  // broken file's origins count where they could still be read (forms.salvaged), so the charity's
  // iframe shows the kind "not available" page rather than the browser's refusal. The policy is
  // worked out once per loaded file (an edited or reloaded one is a new object).
  const framedCsp = new WeakMap<object, string>()
  app.addHook('onSend', async (req, reply, payload) => {
    const id = (req.params as Partial<FormParams> | undefined)?.id
    const form = id ? forms.get(id) : undefined
    const salvaged = form || !id ? undefined : forms.salvaged(id)
    const source = form ?? salvaged
    const origins = form?.definition.embed?.allowed_origins ?? salvaged?.allowedOrigins ?? []
    const csp = reply.getHeader('content-security-policy')
    if (source && origins.length > 0 && typeof csp === 'string') {
      let framed = framedCsp.get(source)
      if (framed === undefined) framedCsp.set(source, framed = csp.replace(/frame-ancestors [^;]*/, `frame-ancestors ${origins.join(' ')}`))
      reply.header('content-security-policy', framed)
      reply.removeHeader('x-frame-options')
    }
    return payload
  })

  app.get<{ Params: FormParams, Querystring: EmbedQuery }>('/forms/:id', async (req, reply) => {
    const form = forms.get(req.params.id)
    if (!form) return missing(req, reply, req.params.id)
    const token = tokens.issue(form.definition.id, now().getTime())
    const html = await blankPage(form, embedOrigin(form, req), token)
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html)
  })

  app.post<{ Params: FormParams, Body: Body, Querystring: EmbedQuery }>('/forms/:id', async (req, reply) => {
    const form = forms.get(req.params.id)
    const posts = await countPost(req)
    const body: Body = req.body !== null && typeof req.body === 'object' ? req.body : {}
    if (!posts.isAllowed && posts.isExceeded) {
      const limit = tooManyRequests(posts.ttl)
      if (!form || req.body === null || typeof req.body !== 'object') throw limit
      req.log.warn({ form: form.definition.id }, 'Too many form posts from one address')
      const { token } = await tokens.checkForPage(body, form.definition.id, now().getTime(), mayReissueUntimed(req))
      return tooMany(reply, form, readSubmission(asShown(form.definition, mailOn), body), [], { embed: embedOrigin(form, req), token, mailOn }, limit)
    }
    if (!form) return missing(req, reply, req.params.id)
    const def = form.definition
    const embed = embedOrigin(form, req)
    let result
    try {
      result = await receiveSubmission(form, body, now().getTime(), ukToday(now()), intake, mayReissueUntimed(req))
    } catch (err) {
      if (!isUnavailable(err)) throw err
      // Nothing was stored and the token was not spent: the same page, answers kept, to send again.
      req.log.error({ form: def.id }, 'The database did not answer while storing a referral: the visitor was asked to send it again in a minute, answers kept')
      const { token } = await tokens.checkForPage(body, def.id, now().getTime())
      reply.header('retry-after', '60')
      return renderForm(reply, form, readSubmission(asShown(def, mailOn), body), [], { status: 503, mailOn, embed, token, notice: texts[def.language ?? 'en'].storageNotice })
    }
    switch (result.outcome) {
      case 'people-changed':
        return renderForm(reply, form, result.raw, [], { embed, token: result.token, mailOn })
      case 'invalid':
      case 'bad-token': {
        const t = texts[def.language ?? 'en']
        const errors = result.outcome === 'invalid' ? result.errors : []
        const failures = await countFailure(req)
        if (!failures.isAllowed && failures.isExceeded) {
          req.log.warn({ form: def.id }, 'Too many failed submissions from one address')
          return tooMany(reply, form, result.raw, errors, { embed, token: result.token, mailOn }, tooManyRequests(failures.ttl))
        }
        const notice = result.tokenProblem ? t.tokenNotice(result.tokenProblem === 'expired') : undefined
        if (result.outcome === 'invalid') return renderForm(reply, form, result.raw, errors, { status: 422, embed, token: result.token, notice, mailOn })
        req.log.info({ form: def.id, token: result.tokenProblem }, 'Submission without a valid form token: answers shown again')
        return renderForm(reply, form, result.raw, [], { status: 400, embed, token: result.token, notice, mailOn })
      }
      case 'duplicate':
        req.log.info({ reference: result.reference, form: def.id }, 'Form token already used: showing the same confirmation, nothing stored')
        break
      case 'quarantined':
        req.log.warn({ reference: result.reference, form: def.id }, 'Submission quarantined as probable spam')
        break
      case 'stored':
        req.log.info({ reference: result.reference, form: def.id }, 'Referral stored')
        app.services.relay.worker.wake()
        break
      default: {
        const unexpected: never = result
        throw new Error(`Unexpected intake outcome: ${JSON.stringify(unexpected)}`)
      }
    }
    const query = embed ? `?embed=${encodeURIComponent(embed)}` : ''
    return reply.code(303).header('location', `/forms/${def.id}/sent/${result.reference}${query}`).send()
  })

  app.get<{ Params: FormParams & { reference: string }, Querystring: EmbedQuery }>('/forms/:id/sent/:reference', async (req, reply) => {
    const form = forms.get(req.params.id)
    const ref = readReference(req.params.reference)
    const row = ref === undefined ? undefined : await storage.submissions.findByReference(ref)
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
      quickExit: def.quick_exit ? QUICK_EXIT_URL : undefined,
      t,
    })
  })
}
