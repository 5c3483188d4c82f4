/**
 * The first view of a form is the same page for every visitor but for its form token. So it is
 * rendered once per form (and embedding origin) with a marker where the token goes, and each GET is
 * served as head + token + tail: a token and a string join instead of a view model and a template
 * render (docs/performance.md). An edited or reloaded form is a new LoadedForm object, so a page is
 * never served stale; pages with answers or errors are rendered every time as before.
 */
import type { LoadedForm } from '../forms/load.js'

/** Stands for the token in the cached page; letters, digits and hyphens, so escaping leaves it as it is. */
export const TOKEN_SLOT = 'form-token-slot-8c1f4e'
/** What a token is made of (src/security/form-token.ts), so it goes into the page without escaping. */
const TOKEN_CHARS = /^[\w.-]+$/

export type RenderBlank = (form: LoadedForm, embed: string | undefined, token: string) => Promise<string>
/** The page as bytes, ready to send (no encoding of the whole page per request). */
export type BlankPage = (form: LoadedForm, embed: string | undefined, token: string) => Promise<Buffer>

/** `versionOf`: what else the page is made from (the site's settings); a new version renders it again. */
export function createBlankPages (render: RenderBlank, versionOf: () => number = () => 0): BlankPage {
  const pages = new WeakMap<LoadedForm, Map<string, Promise<[Buffer, Buffer]>>>()
  return async function blankPage (form, embed, token) {
    if (!TOKEN_CHARS.test(token)) throw new Error('A form token with unexpected characters')
    let byEmbed = pages.get(form)
    if (!byEmbed) pages.set(form, byEmbed = new Map())
    const key = `${versionOf()}|${embed ?? ''}`
    let parts = byEmbed.get(key)
    if (!parts) {
      parts = render(form, embed, TOKEN_SLOT).then((html) => {
        const [head, tail, ...more] = html.split(TOKEN_SLOT)
        if (tail === undefined || more.length > 0) throw new Error('The form page must show its token exactly once')
        return [Buffer.from(head!), Buffer.from(tail)] as [Buffer, Buffer]
      })
      byEmbed.set(key, parts)
      // A failed render is not kept: the next visitor tries again.
      parts.catch(() => byEmbed.delete(key))
    }
    const [head, tail] = await parts
    const page = Buffer.allocUnsafe(head.length + token.length + tail.length)
    head.copy(page, 0)
    page.write(token, head.length, 'latin1')
    tail.copy(page, head.length + token.length)
    return page
  }
}
