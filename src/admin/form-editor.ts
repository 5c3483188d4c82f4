/**
 * Editing form files from the staff pages, safely:
 * - every text is checked with `parseFormText` (the same check as at start) before it is written, so a
 *   broken edit never replaces a working live form;
 * - a save writes a temporary file in FORMS_DIR, fsyncs it and renames it over `{id}.yaml` (atomic on
 *   one file system: the folder never holds half a file), then reloads the registry, so the live form
 *   switches without a restart;
 * - the text it replaced is kept in `form_versions` (history: list, view, restore);
 * - a save names the version it was edited from (`base`), so two people editing at once cannot
 *   silently overwrite each other: the second is told the file changed.
 * Where FORMS_DIR cannot be written (a read-only container image), `writable()` says so and staff
 * can still check, preview and download their text.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, open, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { parseFormText, type FormProblem, type ParseResult } from '../forms/load.js'
import type { FormRegistry } from '../forms/registry.js'
import { EXAMPLES_DIR } from '../paths.js'
import type { FormHistoryStore, FormVersion } from '../storage/index.js'

/** A form id, which is also its file name without `.yaml` (form definition spec). */
export const FORM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

export type SaveResult =
  | { ok: true, hash: string, unchanged: boolean }
  | { ok: false, reason: 'invalid', problems: FormProblem[] }
  /** The file is not the version the edit started from (someone else saved, or the new id is taken). */
  | { ok: false, reason: 'changed' }
  | { ok: false, reason: 'read-only' }

export type Template = 'charitylog' | 'lamplight'

export interface FormEditor {
  readonly dir: string
  /** The file's text and its hash (the `base` of a later save); undefined when there is no such file. */
  read (id: string): Promise<{ text: string, hash: string } | undefined>
  check (id: string, text: string): ParseResult
  /** Whether FORMS_DIR can be written now. */
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
  dir: string
  registry: FormRegistry
  history: FormHistoryStore
  now: () => number
  /** Default: `fs.access(dir, W_OK)`. Injected by tests (as root, access says yes to every folder). */
  writable?: () => Promise<boolean>
}

/** Browsers send a textarea's line breaks as CRLF: keep files in LF, ending with one line break. */
export const normaliseText = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\n*$/, '\n')
export const textHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

const TEMPLATES: Record<Template, string> = { charitylog: 'carers-referral.yaml', lamplight: 'professional-referral.yaml' }

export function createFormEditor (o: FormEditorOptions): FormEditor {
  const file = (id: string) => path.join(o.dir, `${id}.yaml`)
  const writable = o.writable ?? (() => access(o.dir, constants.W_OK).then(() => true, () => false))
  let queue: Promise<unknown> = Promise.resolve()

  async function read (id: string) {
    if (!FORM_ID_PATTERN.test(id)) return undefined
    try {
      const text = await readFile(file(id), 'utf8')
      return { text, hash: textHash(text) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  async function saveNow (id: string, rawText: string, base: string | undefined, actor: string): Promise<SaveResult> {
    const text = normaliseText(rawText)
    const parsed = parseFormText(`${id}.yaml`, text)
    if (!parsed.ok) return { ok: false, reason: 'invalid', problems: parsed.problems }
    if (!(await writable())) return { ok: false, reason: 'read-only' }
    const current = await read(id)
    if (current?.hash !== base) return { ok: false, reason: 'changed' }
    const hash = textHash(text)
    if (current?.hash === hash) return { ok: true, hash, unchanged: true }

    const kept = current ? await o.history.add({ formId: id, text: current.text, hash: current.hash, replacedAt: o.now(), replacedBy: actor }) : undefined
    try {
      await writeAtomically(file(id), text)
    } catch (err) {
      if (kept !== undefined) await o.history.remove(kept)
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return { ok: false, reason: 'read-only' }
      throw err
    }
    await o.registry.reload()
    return { ok: true, hash, unchanged: false }
  }

  return {
    dir: o.dir,
    read,
    check: (id, text) => parseFormText(`${id}.yaml`, normaliseText(text)),
    writable,
    save (id, text, base, actor) {
      // One save at a time: the base check and the rename must not interleave with another save.
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

/** Temp file in the same folder (so rename is atomic), fsynced, renamed over the target, folder fsynced. */
async function writeAtomically (target: string, text: string): Promise<void> {
  const dir = path.dirname(target)
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const fh = await open(tmp, 'wx', 0o644)
    try {
      await fh.writeFile(text, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, target)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  // The rename itself is durable once the folder is synced; not every platform allows opening a folder.
  const dh = await open(dir, 'r').catch(() => undefined)
  await dh?.sync().catch(() => undefined)
  await dh?.close()
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
