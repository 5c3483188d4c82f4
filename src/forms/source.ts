/**
 * Where the live forms' texts are kept: files in FORMS_DIR (one server, SQLite: the default), or the
 * database (PostgreSQL, where several servers must serve the same forms: a form saved on one is live
 * on all of them at once). The registry loads from a source and the staff editor writes to it; both
 * work the same whichever it is. With the database, FORMS_DIR's files are imported at first start
 * (`importFiles`), and `npm run forms:export` writes the texts back out as files.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, cp, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../logger.js'
import { EXAMPLES_DIR } from '../paths.js'
import { folderError } from '../startup-error.js'
import type { FormHistoryStore, FormStore, SettingsStore } from '../storage/index.js'
import { loadFormsDir, loadFormTexts, MAX_FORM_BYTES, type FormsDirResult } from './load.js'

/** A form id, which is also its file name without `.yaml` (form definition spec). */
export const FORM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

export const textHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

export type WriteResult = 'saved' | 'changed' | 'read-only'

export interface FormSource {
  /** Where the forms are, in words for staff and the log: "the folder ./forms", "the database". */
  readonly where: string
  /** Every form, checked (a broken one is listed with its problems, never stops the others). */
  load (): Promise<FormsDirResult>
  /** The text of form `id` and its hash; undefined when there is none. */
  read (id: string): Promise<{ text: string, hash: string } | undefined>
  /** Whether saves can be made now. */
  writable (): Promise<boolean>
  /**
   * Saves `text` as form `id` over `current` (what the editor found; undefined for a new form), keeping
   * the replaced text in the history under `actor`. 'changed' when someone saved first.
   */
  write (id: string, text: string, current: { text: string, hash: string } | undefined, actor: string, at: number): Promise<WriteResult>
  /** Calls back when forms may have been changed by another server; resolves to a function that stops. */
  watch (callback: () => void): Promise<() => Promise<void>>
}

/**
 * The default forms folder is made at first start from the shipped examples (examples/forms), so that
 * saving a form on the staff pages never rewrites a file git tracks. Made in a temporary folder and
 * renamed into place, so two servers starting at once cannot leave half a folder.
 */
export async function makeFromExamples (formsDir: string, log: Logger): Promise<void> {
  try {
    await stat(formsDir)
    return
  } catch {}
  const tmp = `${formsDir.replace(/\/+$/, '')}.${process.pid}.tmp`
  await cp(EXAMPLES_DIR, tmp, { recursive: true })
  try {
    await rename(tmp, formsDir)
    log.info({}, `Made ${formsDir} with the example forms: edit them there, or on the staff pages`)
  } catch {
    await rm(tmp, { recursive: true, force: true }) // another server made it first
  }
}

export interface FileSourceOptions {
  dir: string
  history: FormHistoryStore
  /** Default: `fs.access(dir, W_OK)`. Injected by tests (as root, access says yes to every folder). */
  writable?: () => Promise<boolean>
}

/** Files in FORMS_DIR: each save written atomically (temp file, fsync, rename), the replaced text kept in the history. */
export function fileFormSource (o: FileSourceOptions): FormSource {
  const file = (id: string) => path.join(o.dir, `${id}.yaml`)
  return {
    where: `the folder ${o.dir}`,
    load: () => loadFormsDir(o.dir).catch((err: unknown) => {
      throw folderError('FORMS_DIR', o.dir, err, 'point FORMS_DIR at the folder of your form files')
    }),
    async read (id) {
      try {
        const text = await readFile(file(id), 'utf8')
        return { text, hash: textHash(text) }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    writable: o.writable ?? (() => access(o.dir, constants.W_OK).then(() => true, () => false)),
    async write (id, text, current, actor, at) {
      const kept = current ? await o.history.add({ formId: id, text: current.text, hash: current.hash, replacedAt: at, replacedBy: actor }) : undefined
      try {
        await writeAtomically(file(id), text)
        return 'saved'
      } catch (err) {
        if (kept !== undefined) await o.history.remove(kept)
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'read-only'
        throw err
      }
    },
    // A file changed by hand is read at the next start (or the next save from the staff pages).
    watch: async () => async () => {},
  }
}

/** The database's `forms` table: a save is checked against the version it was edited from in one transaction, and every server told. */
export function databaseFormSource (forms: FormStore): FormSource {
  return {
    where: 'the database',
    load: async () => loadFormTexts((await forms.list()).map((f) => ({ name: `${f.id}.yaml`, text: f.text }))),
    async read (id) {
      const f = await forms.get(id)
      return f && { text: f.text, hash: f.hash }
    },
    writable: async () => true,
    async write (id, text, current, actor, at) {
      const r = await forms.put({ id, text, hash: textHash(text), base: current?.hash, at, by: actor })
      return r.ok ? 'saved' : 'changed'
    },
    watch: (callback) => forms.onChange(callback),
  }
}

const IMPORTED = 'forms.imported_at'

/**
 * At the first start on a database, FORMS_DIR's `*.yaml` files (the shipped examples, read where they
 * are, when FORMS_DIR is the default and does not exist) become its forms, broken ones too (so staff can mend them on the
 * staff pages). Once only: after that the database is the forms' home, and FORMS_DIR is not read.
 * Two servers starting at once import each form once (a form is only added where none exists).
 */
export async function importFiles (dir: string, forms: FormStore, settings: SettingsStore, log: Logger, o: { fromExamples: boolean, now: number }): Promise<number> {
  if (await settings.get(IMPORTED) !== undefined) return 0
  // The default folder, not made yet: the examples themselves (nothing is written to the disk).
  const from = o.fromExamples && !(await stat(dir).then(() => true, () => false)) ? EXAMPLES_DIR : dir
  let imported = 0
  for (const name of (await readdir(from)).filter((n) => n.endsWith('.yaml')).sort()) {
    const file = path.join(from, name)
    const id = name.slice(0, -'.yaml'.length)
    if (!FORM_ID_PATTERN.test(id)) {
      log.error({ file: name }, `Not imported: ${name} is not a form's name (lower-case letters, digits and hyphens, then .yaml)`)
      continue
    }
    if ((await stat(file)).size > MAX_FORM_BYTES) {
      log.error({ file: name }, `Not imported: ${name} is larger than a form may be (${MAX_FORM_BYTES / 1024} KB)`)
      continue
    }
    const text = await readFile(file, 'utf8')
    const r = await forms.put({ id, text, hash: textHash(text), base: undefined, at: o.now, by: `imported from ${from}` })
    if (r.ok) imported++
  }
  await settings.set(IMPORTED, String(o.now))
  log.info({ forms: imported }, `Imported ${imported} form(s) from ${from} into the database: from now on the forms live there (npm run forms:export writes them out as files)`)
  return imported
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
