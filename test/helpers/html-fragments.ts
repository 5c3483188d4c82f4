/**
 * Small readers of rendered pages, for asserting meaningful fragments rather than whole pages. They
 * read our own templates' output (double-quoted attributes), not arbitrary HTML.
 */

/** Every opening tag of `name` (`input`, `button`...) in the page. */
export function tags (html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((m) => m[0])
}

/** The attributes of one opening tag; a bare attribute (`checked`) maps to ''. */
export function attrs (tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  const inner = tag.replace(/^<[a-z]+/, '').replace(/\/?>$/, '')
  for (const m of inner.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?/g)) out[m[1]!] = decodeEntities(m[2] ?? '')
  return out
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }
const decodeEntities = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!)

/**
 * The form's own hidden inputs (a token, timing...), which a browser sends back as given (spec: HTML
 * contract). Person markers and person fields (`group[i][...]`) are left to the test, which decides
 * how many people it sends.
 */
export function ownHiddenInputs (html: string): Array<[string, string]> {
  return tags(html, 'input').map(attrs)
    .filter((a) => a.type === 'hidden' && a.name !== undefined && !/^[a-z][a-z0-9_]*\[/.test(a.name))
    .map((a) => [a.name!, a.value ?? ''])
}

/** The opening tag of the element with this id; throws when there is none. */
export function byId (html: string, id: string): Record<string, string> & { tag: string } {
  const m = new RegExp(`<([a-z][a-z0-9]*)\\b[^>]*\\bid="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>`).exec(html)
  if (!m) throw new Error(`no element with id="${id}"`)
  return { ...attrs(m[0]), tag: m[1]! }
}

/** The opening tags of the controls named `name` (input, select, textarea), with their attributes. */
export function controls (html: string, name: string): Array<Record<string, string> & { tag: string }> {
  const out: Array<Record<string, string> & { tag: string }> = []
  for (const m of html.matchAll(/<(input|select|textarea|button)\b[^>]*>/g)) {
    const a = attrs(m[0])
    if (a.name === name) out.push({ ...a, tag: m[1]! })
  }
  return out
}

/** Every id in the page. */
export function ids (html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!))
}

/** The error summary's links: `[href, text]`; empty when the page has no summary. */
export function errorSummary (html: string): Array<[string, string]> {
  const summary = /<div class="error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? ''
  return [...summary.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[1]!, m[2]!])
}

/** The text of `<title>`. */
export function title (html: string): string {
  return /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? ''
}

/** How many people of a group the page shows (one `group[i][_]` marker each). */
export function peopleShown (html: string, group: string): number {
  return [...html.matchAll(new RegExp(`name="${group}\\[\\d+\\]\\[_\\]"`, 'g'))].length
}
