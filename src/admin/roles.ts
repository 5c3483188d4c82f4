/**
 * Who may do what on the staff pages (least privilege). Every staff route declares the permission it
 * needs (`config.permission`, checked on the server for every request: 403 otherwise), and the pages
 * show only the links and buttons the role may use.
 *
 * - Admin: everything, including accounts and the audit log.
 * - Editor: forms (edit, check, preview, save, history, restore) and the CRM connections their IDs come
 *   from; no referral, so no answers.
 * - Caseworker: deliveries (the list, a referral's answers while not delivered, retry, mark handled,
 *   release or delete quarantined); no forms, no accounts.
 */
import type { Account, Role } from '../storage/index.js'

export const ROLES: readonly Role[] = ['admin', 'editor', 'caseworker']
export const ROLE_LABELS: Record<Role, string> = { admin: 'Admin', editor: 'Editor', caseworker: 'Caseworker' }
export const ROLE_HINTS: Record<Role, string> = {
  admin: 'Everything, including staff accounts and the audit log.',
  editor: 'Forms and the CRM connections; sees no referral.',
  caseworker: 'Referrals: their answers, retry, mark handled, release or delete spam; no forms or accounts.',
}
export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s)

export type Permission = 'deliveries' | 'forms' | 'connections' | 'audit' | 'accounts' | 'alerts' | 'site' | 'self'

const PERMISSIONS: Record<Permission, readonly Role[]> = {
  deliveries: ['admin', 'caseworker'],
  forms: ['admin', 'editor'],
  connections: ['admin', 'editor'],
  audit: ['admin'],
  accounts: ['admin'],
  /** The email alerts page: whether they are on, what was sent, a test email. */
  alerts: ['admin'],
  /** Who is asking, site-wide: the charity's name, colour, accessibility statement. */
  site: ['admin'],
  /** Signing out, one's own password and two-factor sign-in. */
  self: ['admin', 'editor', 'caseworker'],
}

export const can = (role: Role, permission: Permission): boolean => PERMISSIONS[permission].includes(role)

/** The first page of the staff pages for a role. */
export const homeOf = (role: Role): string => (can(role, 'deliveries') ? '/admin/deliveries' : '/admin/forms')

/** Who is signed in: a named account, or (until the first account exists) the shared password. */
export interface Staff {
  role: Role
  /** Undefined for the shared password. */
  account: Account | undefined
  /** How the audit log names them: "Jane Smith <jane@example.org>", or "staff (session 1a2b3c4d)". */
  actor: string
}

export const actorOf = (a: Pick<Account, 'name' | 'email'>) => `${a.name} <${a.email}>`
