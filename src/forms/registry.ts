/**
 * The live forms: loaded from FORMS_DIR at start. A broken file is logged with its file, path, line
 * and message, and kept in `broken` (for staff), while every good form keeps serving.
 */
import { cp, rename, rm, stat } from 'node:fs/promises'
import type { Logger } from '../logger.js'
import { EXAMPLES_DIR } from '../paths.js'
import { folderError } from '../startup-error.js'
import { formatProblem, loadFormsDir, type FormProblem, type LoadedForm, type Salvaged } from './load.js'

export interface FormRegistry {
  get (id: string): LoadedForm | undefined
  list (): LoadedForm[]
  broken (): ReadonlyMap<string, FormProblem[]>
  /** Whether a form of this id has a file that does not load (it exists, but is not served). */
  isBroken (id: string): boolean
  /** What could still be read of a broken form's file (its language, the sites that may frame it). */
  salvaged (id: string): Salvaged | undefined
  /** Reads the folder again; the previous forms stay live if the folder cannot be read. */
  reload (): Promise<void>
}

/**
 * The default forms folder is made at first start from the shipped examples (examples/forms), so that
 * saving a form on the staff pages never rewrites a file git tracks. Made in a temporary folder and
 * renamed into place, so two servers starting at once cannot leave half a folder.
 */
async function makeFromExamples (formsDir: string, log: Logger): Promise<void> {
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

export async function createFormRegistry (formsDir: string, log: Logger, o: { fromExamples?: boolean } = {}): Promise<FormRegistry> {
  if (o.fromExamples) await makeFromExamples(formsDir, log)
  let forms = new Map<string, LoadedForm>()
  let broken = new Map<string, FormProblem[]>()
  let salvaged = new Map<string, Salvaged>()
  const registry: FormRegistry = {
    get: (id) => forms.get(id),
    list: () => [...forms.values()],
    broken: () => broken,
    isBroken: (id) => broken.has(`${id}.yaml`),
    salvaged: (id) => salvaged.get(`${id}.yaml`),
    async reload () {
      const result = await loadFormsDir(formsDir)
      forms = result.forms
      broken = result.broken
      salvaged = result.salvaged
      for (const [file, problems] of broken) {
        for (const p of problems) log.error({ file, path: p.path, line: p.line }, `Form file not loaded: ${formatProblem(p)}`)
      }
      log.info({ forms: [...forms.keys()], broken: [...broken.keys()] }, `Loaded ${forms.size} form(s) from ${formsDir}`)
    },
  }
  try {
    await registry.reload()
  } catch (err) {
    throw folderError('FORMS_DIR', formsDir, err, 'point FORMS_DIR at the folder of your form files')
  }
  return registry
}
