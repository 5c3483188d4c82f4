/**
 * Rendering a staff page: the template's own data plus what every page shows (navigation, the
 * sign-out button and its CSRF token, a one-off message, the banner when referrals wait for staff).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { staffActor, type AuditLog } from '../../admin/audit.js'
import { can, ROLE_LABELS, type Permission } from '../../admin/roles.js'
import type { FormBuilder } from '../../admin/form-builder.js'
import type { FormEditor } from '../../admin/form-editor.js'
import { STATE_LABELS } from '../../admin/format.js'
import type { Config } from '../../config.js'
import { texts } from '../../forms/texts.js'
import { NEEDS_STAFF } from '../../outbox/delivery-state.js'
import { PUBLIC_DIR } from '../../paths.js'
import type { AccountStore, DeliveryQueries } from '../../storage/index.js'

/** In the stylesheet's URL, so a new release reaches browsers (public files are cached for a day). */
const adminCssVersion = createHash('sha256').update(readFileSync(path.join(PUBLIC_DIR, 'admin.css'))).digest('hex').slice(0, 10)

/** What the admin route files share (built once by the admin plugin). */
export interface AdminContext {
  config: Config
  /** At least 32 characters, derived from SECRET_KEY: signs the session cookie and the sign-in form's token. */
  sessionSecret: string
  editor: FormEditor
  /** The form builder: drafts and publishing (src/admin/form-builder.ts). */
  builder: FormBuilder
  audit: AuditLog
  deliveries: DeliveryQueries
  accounts: AccountStore
  /** Whether any staff account exists (the shared ADMIN_PASSWORD works only while none does). */
  hasAccounts: () => Promise<boolean>
}

export interface RouteOptions { ctx: AdminContext }

/** The staff session cookie (path /admin: never sent with a public page). */
export const SESSION_COOKIE = 'rf_admin'

export type Section = 'deliveries' | 'forms' | 'connections' | 'audit' | 'accounts' | 'alerts' | 'site' | 'account'
const NAV: Array<{ section: Section, href: string, text: string, permission: Permission }> = [
  { section: 'deliveries', href: '/admin/deliveries', text: 'Deliveries', permission: 'deliveries' },
  { section: 'forms', href: '/admin/forms', text: 'Forms', permission: 'forms' },
  { section: 'connections', href: '/admin/connections', text: 'Connections', permission: 'connections' },
  { section: 'accounts', href: '/admin/accounts', text: 'Staff accounts', permission: 'accounts' },
  { section: 'alerts', href: '/admin/alerts', text: 'Email alerts', permission: 'alerts' },
  { section: 'site', href: '/admin/site', text: 'Site settings', permission: 'site' },
  { section: 'audit', href: '/admin/audit', text: 'Audit log', permission: 'audit' },
]

/** `quiet`: no "Referrals need you" banner (the form editor, whose own error summary comes first). */
export interface PageData { pageTitle: string, section?: Section, quiet?: boolean, [key: string]: unknown }

/**
 * Referrals in the states that wait for staff, less those held only because their CRM is not set up
 * yet: that is a set-up task (the Connections page says what to set), not news on every page.
 */
async function needingStaff (reply: FastifyReply, ctx: AdminContext): Promise<Record<string, number>> {
  const counts = await ctx.deliveries.counts()
  const notConfigured = reply.server.services.relay.crms.notConfigured
  const waiting: Record<string, number> = {}
  for (const state of NEEDS_STAFF) waiting[state] = counts[state]
  if (counts.held > 0 && Object.keys(notConfigured).length > 0) {
    const { rows } = await ctx.deliveries.list({ state: 'held' }, 0, 1000)
    waiting.held = Math.max(0, counts.held - rows.filter((r) => r.held_reason !== null && r.held_reason === notConfigured[r.destination]).length)
  }
  return waiting
}

export async function renderPage (reply: FastifyReply, ctx: AdminContext, template: string, data: PageData, status = 200) {
  const req = reply.request
  const s = req.session as FastifyRequest['session'] | null | undefined
  const staff = req.staff
  const signedIn = staff !== undefined
  const flash = signedIn ? s?.flash : undefined
  if (flash && s) delete s.flash
  const may = Object.fromEntries((['deliveries', 'forms', 'connections', 'audit', 'accounts', 'alerts', 'site'] as const).map((p) => [p, staff !== undefined && can(staff.role, p)]))
  const counts = staff && may.deliveries && !data.quiet ? await needingStaff(reply, ctx) : undefined
  const waiting = counts ? NEEDS_STAFF.filter((state) => (counts[state] ?? 0) > 0) : []
  const attention = counts && waiting.length > 0
    ? {
        text: `${waiting.map((state) => `${counts[state] ?? 0} ${STATE_LABELS[state].toLowerCase()}`).join(', ')}: they wait for staff.`,
        links: waiting.map((state) => ({ href: `/admin/deliveries?state=${state}`, text: `See the ${STATE_LABELS[state].toLowerCase()} referrals` })),
      }
    : undefined
  return reply.code(status).view(`admin/${template}`, {
    ...data,
    signedIn,
    // Only for a session that is signed in: making a token stores its secret in the session, and
    // nothing is stored for a visitor who has not signed in.
    csrf: signedIn ? reply.generateCsrf() : '',
    navItems: staff ? NAV.filter((n) => can(staff.role, n.permission)).map((n) => ({ ...n, current: n.section === data.section })) : [],
    may,
    me: staff && { name: staff.account?.name ?? 'Staff', role: ROLE_LABELS[staff.role], named: staff.account !== undefined },
    attention,
    flash,
    adminCssVersion,
    t: texts.en,
  })
}

export function renderMessage (reply: FastifyReply, ctx: AdminContext, status: number, heading: string, paragraphs: string[]) {
  // A link to sign in, unless the pages are switched off (503).
  return renderPage(reply, ctx, 'message', { pageTitle: heading, heading, paragraphs, signInLink: status !== 503 }, status)
}

/** Sets the message shown on the next page (after a 303). */
export function flash (req: FastifyRequest, kind: 'success' | 'warning', text: string): void {
  req.session.flash = { kind, text }
}

/** How the audit log names whoever made the request. */
export function actor (req: FastifyRequest): string {
  return req.staff?.actor ?? staffActor(req.session?.sessionId)
}

export function seeOther (reply: FastifyReply, location: string) {
  return reply.code(303).header('location', location).send()
}
