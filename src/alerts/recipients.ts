/**
 * Who gets an alert: everyone in ALERT_EMAILS; every active account that chose its topic (or, until it
 * chooses, whose role has it by default: kinds.ts); and for a referral's own alerts, the form's team
 * address (`alerts.team_email`). A test email goes only to the address it was asked for.
 */
import type { Account, AccountStore, Alert, SettingsStore } from '../storage/types.js'
import { isTopic, ROLE_TOPICS, TOPIC_OF, type AlertTopic } from './kinds.js'

const topicsKey = (accountId: number) => `alerts.topics.${accountId}`

/** The topics an account gets: its own choice, else its role's defaults. */
export async function topicsOf (settings: SettingsStore, account: Pick<Account, 'id' | 'role'>): Promise<AlertTopic[]> {
  const chosen = await settings.get(topicsKey(account.id))
  if (chosen === undefined) return [...ROLE_TOPICS[account.role]]
  return chosen.split(',').filter(isTopic)
}

/** Whether the account has chosen (else it gets its role's defaults). */
export async function hasChosenTopics (settings: SettingsStore, accountId: number): Promise<boolean> {
  return await settings.get(topicsKey(accountId)) !== undefined
}

export async function chooseTopics (settings: SettingsStore, accountId: number, topics: AlertTopic[]): Promise<void> {
  await settings.set(topicsKey(accountId), topics.join(','))
}

export interface RecipientSources {
  alertEmails: readonly string[]
  accounts: Pick<AccountStore, 'list'>
  settings: SettingsStore
  /** The form's team address, if it has one. */
  teamEmail (formId: string): string | undefined
}

export async function recipientsFor (a: Alert, s: RecipientSources): Promise<string[]> {
  if (a.kind === 'test') return a.detail === null ? [] : [a.detail]
  if (a.kind === 'confirmation') throw new Error('A visitor\'s confirmation goes to their own address (sender.ts), never to staff')
  const topic = TOPIC_OF[a.kind]
  const to = new Set(s.alertEmails.map((e) => e.toLowerCase()))
  for (const account of await s.accounts.list()) {
    if (account.disabled_at !== null || account.activated_at === null) continue
    if ((await topicsOf(s.settings, account)).includes(topic)) to.add(account.email)
  }
  if (a.form_id !== null && (topic === 'needs_staff' || topic === 'new_referrals')) {
    const team = s.teamEmail(a.form_id)
    if (team !== undefined) to.add(team.toLowerCase())
  }
  return [...to].sort()
}
