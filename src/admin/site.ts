/**
 * Who is asking, site-wide (issue 14): the charity's name and accent colour on a form shown on its own
 * (not in an iframe: the host site says who it is there), and the accessibility statement the product
 * serves at /accessibility, a template staff complete. Kept in the settings store (key `site`), read
 * once and then from memory, again every minute (another server may have saved) and at once after a save.
 *
 * No arbitrary CSS: the colour is a #rrggbb that keeps white text readable on it (WCAG AA, 4.5:1), put
 * in one generated rule (/site.css).
 */
import type { SettingsStore } from '../storage/types.js'

export interface Site {
  /** The charity's name as visitors know it; undefined: none shown. */
  name: string | undefined
  /** #rrggbb, or undefined for the product's own. */
  accent: string | undefined
  /** A small PNG or JPEG shown beside the name (base64), or undefined. */
  logo: { type: 'image/png' | 'image/jpeg', data: string } | undefined
  statement: {
    /** `full` or `partial` compliance with WCAG 2.2 AA, as the charity judges it. */
    compliance: 'full' | 'partial'
    /** Known problems, one a line (with `partial`). */
    problems: string
    /** Where to report a problem: an email address or a phone number. */
    contact: string
    /** When the statement was last reviewed, YYYY-MM-DD. */
    reviewed: string
  }
}

const KEY = 'site'
const REFRESH_MS = 60_000

function channel (hex: string, at: number): number {
  const c = parseInt(hex.slice(at, at + 2), 16) / 255
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
}

/** WCAG's contrast ratio of white text on `hex` (#rrggbb). */
export function contrastWithWhite (hex: string): number {
  const l = 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5)
  return 1.05 / (l + 0.05)
}

/** The colour a shade darker, for the button's shadow. */
export function darker (hex: string): string {
  return `#${[1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.65).toString(16).padStart(2, '0')).join('')}`
}

export const HEX = /^#[0-9a-f]{6}$/

/** The largest logo taken: a header image, not a photograph. */
export const LOGO_MAX_BYTES = 200 * 1024

/** What an uploaded file is, by its first bytes (never by its name or the browser's word): PNG, JPEG, or neither. */
export function imageType (bytes: Buffer): 'image/png' | 'image/jpeg' | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  return undefined
}

function logoOf (v: unknown): Site['logo'] {
  const l = (v ?? {}) as Record<string, unknown>
  if ((l.type !== 'image/png' && l.type !== 'image/jpeg') || typeof l.data !== 'string') return undefined
  const bytes = Buffer.from(l.data, 'base64')
  return bytes.length > 0 && bytes.length <= LOGO_MAX_BYTES && imageType(bytes) === l.type ? { type: l.type, data: l.data } : undefined
}

function parse (json: string | undefined, fallbackName: string | undefined): Site {
  let o: Record<string, unknown> = {}
  try { o = json ? JSON.parse(json) as Record<string, unknown> : {} } catch {}
  const s = (o.statement ?? {}) as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const accent = str(o.accent).toLowerCase()
  return {
    name: str(o.name) || fallbackName,
    accent: HEX.test(accent) && contrastWithWhite(accent) >= 4.5 ? accent : undefined,
    logo: logoOf(o.logo),
    statement: { compliance: s.compliance === 'full' ? 'full' : 'partial', problems: str(s.problems), contact: str(s.contact), reviewed: str(s.reviewed) },
  }
}

export interface SiteSettings {
  current (): Site
  /** Changes whenever the settings do (for pages cached with them). */
  version (): number
  save (site: Site): Promise<void>
  close (): void
}

export async function createSiteSettings (settings: SettingsStore, fallbackName: string | undefined): Promise<SiteSettings> {
  let raw = await settings.get(KEY)
  let site = parse(raw, fallbackName)
  let version = 0
  const timer = setInterval(() => {
    settings.get(KEY).then((next) => {
      if (next !== raw) {
        raw = next
        site = parse(next, fallbackName)
        version++
      }
    }, () => { /* the database is out of reach for a moment: keep what we have */ })
  }, REFRESH_MS)
  timer.unref()
  return {
    current: () => site,
    version: () => version,
    async save (next) {
      raw = JSON.stringify(next)
      await settings.set(KEY, raw)
      site = parse(raw, fallbackName)
      version++
    },
    close: () => clearInterval(timer),
  }
}
