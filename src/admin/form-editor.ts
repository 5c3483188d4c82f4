/**
 * Editing forms from the staff pages, safely, wherever they live (files in FORMS_DIR, or the database:
 * src/forms/source.ts):
 * - every text is checked with `parseFormText` (the same check as at start) before it is written, so a
 *   broken edit never replaces a working live form;
 * - a save is atomic (a file is written aside, fsynced and renamed into place; the database commits one
 *   transaction), then the registry reloads, so the live form switches without a restart (on every
 *   server: the database tells the others);
 * - the text it replaced is kept in `form_versions` (history: list, view, restore);
 * - a save names the version it was edited from (`base`), so two people editing at once cannot
 *   silently overwrite each other: the second is told the form changed.
 * Where FORMS_DIR cannot be written (a read-only container image), `writable()` says so and staff
 * can still check, preview and download their text.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseFormText, type FormProblem, type ParseResult } from '../forms/load.js'
import type { FormRegistry } from '../forms/registry.js'
import { FORM_ID_PATTERN, textHash, type FormSource } from '../forms/source.js'
import { EXAMPLES_DIR } from '../paths.js'
import type { FormHistoryStore, FormVersion } from '../storage/index.js'

export { FORM_ID_PATTERN, textHash } from '../forms/source.js'

export type SaveResult =
  | { ok: true, hash: string, unchanged: boolean }
  | { ok: false, reason: 'invalid', problems: FormProblem[] }
  /** The form is not the version the edit started from (someone else saved, or the new id is taken). */
  | { ok: false, reason: 'changed' }
  | { ok: false, reason: 'read-only' }

export type Template = 'charitylog' | 'lamplight'

export interface FormEditor {
  /** Where the forms are, in words ("the folder ./forms", "the database"). */
  readonly where: string
  /** The form's text and its hash (the `base` of a later save); undefined when there is no such form. */
  read (id: string): Promise<{ text: string, hash: string } | undefined>
  check (id: string, text: string): ParseResult
  /** Whether saves can be made now. */
  writable (): Promise<boolean>
  /** `base`: hash of the text the edit started from, undefined for a new form. `actor` goes in the history. */
  save (id: string, text: string, base: string | undefined, actor: string): Promise<SaveResult>
  /** Versions replaced by saves, newest first. */
  history (id: string): Promise<FormVersion[]>
  version (id: string, versionId: number): Promise<(FormVersion & { text: string }) | undefined>
  /** The example form of that CRM, with the new id and a placeholder title. */
  template (kind: Template, id: string): Promise<string>
}

export interface FormEditorOptions {
  source: FormSource
  registry: FormRegistry
  history: FormHistoryStore
  now: () => number
}

/** Browsers send a textarea's line breaks as CRLF: keep files in LF, ending with one line break. */
export const normaliseText = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\n*$/, '\n')

const TEMPLATES: Record<Template, string> = { charitylog: 'carers-referral.yaml', lamplight: 'professional-referral.yaml' }

export function createFormEditor (o: FormEditorOptions): FormEditor {
  let queue: Promise<unknown> = Promise.resolve()
  const read = (id: string) => (FORM_ID_PATTERN.test(id) ? o.source.read(id) : Promise.resolve(undefined))

  async function saveNow (id: string, rawText: string, base: string | undefined, actor: string): Promise<SaveResult> {
    const text = normaliseText(rawText)
    const parsed = parseFormText(`${id}.yaml`, text)
    if (!parsed.ok) return { ok: false, reason: 'invalid', problems: parsed.problems }
    if (!(await o.source.writable())) return { ok: false, reason: 'read-only' }
    const current = await read(id)
    if (current?.hash !== base) return { ok: false, reason: 'changed' }
    const hash = textHash(text)
    if (current?.hash === hash) return { ok: true, hash, unchanged: true }
    // The source checks `current` again as it writes (another server may have saved meanwhile).
    const written = await o.source.write(id, text, current, actor, o.now())
    if (written !== 'saved') return { ok: false, reason: written }
    await o.registry.reload()
    return { ok: true, hash, unchanged: false }
  }

  return {
    where: o.source.where,
    read,
    check: (id, text) => parseFormText(`${id}.yaml`, normaliseText(text)),
    writable: () => o.source.writable(),
    save (id, text, base, actor) {
      // One save at a time here: the base check and the write must not interleave with another save.
      const result = queue.then(() => saveNow(id, text, base, actor))
      queue = result.catch(() => undefined)
      return result
    },
    history: (id) => o.history.list(id),
    version: (id, versionId) => o.history.get(id, versionId),
    async template (kind, id) {
      const example = await readFile(path.join(EXAMPLES_DIR, TEMPLATES[kind]), 'utf8')
      return example
        .replace(/^id: .*$/m, `id: ${id}`)
        .replace(/^title: .*$/m, 'title: New form')
        .replace(/^embed:\n(?:[ \t]+.*\n?)*/m, '')
    },
  }
}

export interface ListingLine { number: number, text: string, problems: string[] }

/** The text as numbered lines, each with the problems found on it (a problem past the end goes on the last line). */
export function numberedLines (text: string, problems: readonly FormProblem[]): ListingLine[] {
  const lines = normaliseText(text).replace(/\n$/, '').split('\n').map((t, i) => ({ number: i + 1, text: t, problems: [] as string[] }))
  for (const p of problems) {
    if (p.line === undefined) continue
    const line = lines[Math.min(p.line, lines.length) - 1]
    line?.problems.push(p.path ? `${p.path}: ${p.message}` : p.message)
  }
  return lines
}
