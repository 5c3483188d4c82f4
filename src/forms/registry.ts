/**
 * The live forms: loaded from their source (FORMS_DIR, or the database: source.ts) at start, and again
 * after every save and whenever another server says a form changed. A broken form is logged with its
 * file, path, line and message, and kept in `broken` (for staff), while every good form keeps serving.
 */
import type { Logger } from '../logger.js'
import { formatProblem, type FormProblem, type LoadedForm, type Salvaged } from './load.js'
import type { FormSource } from './source.js'

export interface FormRegistry {
  get (id: string): LoadedForm | undefined
  list (): LoadedForm[]
  broken (): ReadonlyMap<string, FormProblem[]>
  /** Whether a form of this id has a file that does not load (it exists, but is not served). */
  isBroken (id: string): boolean
  /** What could still be read of a broken form's file (its language, the sites that may frame it). */
  salvaged (id: string): Salvaged | undefined
  /** Reads the source again; the previous forms stay live if it cannot be read. */
  reload (): Promise<void>
  /** Stops listening for changes made by other servers. */
  close (): Promise<void>
}

export async function createFormRegistry (source: FormSource, log: Logger): Promise<FormRegistry> {
  let forms = new Map<string, LoadedForm>()
  let broken = new Map<string, FormProblem[]>()
  let salvaged = new Map<string, Salvaged>()
  let said = ''
  const registry: FormRegistry = {
    get: (id) => forms.get(id),
    list: () => [...forms.values()],
    broken: () => broken,
    isBroken: (id) => broken.has(`${id}.yaml`),
    salvaged: (id) => salvaged.get(`${id}.yaml`),
    async reload () {
      const result = await source.load()
      forms = result.forms
      broken = result.broken
      salvaged = result.salvaged
      // A reload that finds the same forms (another server's save of a form, seen here twice) says nothing new.
      const summary = JSON.stringify([[...forms.values()].map((f) => f.hash), [...broken]])
      if (summary === said) return
      said = summary
      for (const [file, problems] of broken) {
        for (const p of problems) log.error({ file, path: p.path, line: p.line }, `Form file not loaded: ${formatProblem(p)}`)
      }
      log.info({ forms: [...forms.keys()], broken: [...broken.keys()] }, `Loaded ${forms.size} form(s) from ${source.where}`)
    },
    close: async () => {},
  }
  await registry.reload()
  // One reload at a time, and one more after it if changes came meanwhile.
  let reloading: Promise<void> | undefined
  let again = false
  const changed = () => {
    if (reloading) {
      again = true
      return
    }
    reloading = registry.reload().catch((err: unknown) => {
      log.error({ err: (err as Error).message }, `Could not read the forms from ${source.where} after a change; the forms as they were keep serving`)
    }).finally(() => {
      reloading = undefined
      if (again) {
        again = false
        changed()
      }
    })
  }
  const stop = await source.watch(changed)
  registry.close = async () => {
    await stop()
    await reloading
  }
  return registry
}
