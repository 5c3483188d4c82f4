/**
 * The live forms folder: made from the shipped examples at first start when FORMS_DIR is not set (so
 * staff edits never rewrite a file git tracks), left alone once it exists, and never made up when
 * FORMS_DIR names a folder that is not there.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFormRegistry } from '../../src/forms/registry.js'
import { fileFormSource, makeFromExamples } from '../../src/forms/source.js'
import { EXAMPLES_DIR } from '../../src/paths.js'
import { StartupError } from '../../src/startup-error.js'
import { tempDir } from '../helpers/app.js'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

function quietLog (): { lines: string[], info: (o: object, m?: string) => void, warn: (o: object, m?: string) => void, error: (o: object, m?: string) => void } {
  const lines: string[] = []
  const push = (_o: object, m?: string) => { lines.push(m ?? '') }
  return { lines, info: push, warn: push, error: push }
}

/** What the app does at start with FORMS_DIR's files (src/app.ts): the default folder made from the examples, then loaded. */
async function start (formsDir: string, log: ReturnType<typeof quietLog>, fromExamples = false) {
  if (fromExamples) await makeFromExamples(formsDir, log)
  const history = new Proxy({}, { get: () => { throw new Error('loading forms never touches their history') } })
  return createFormRegistry(fileFormSource({ dir: formsDir, history: history as never }), log)
}

describe('the forms folder', () => {
  it('is made from examples/forms at first start, with every example form live', async () => {
    const parent = tempDir('rf-first-start-')
    dirs.push(parent)
    const formsDir = path.join(parent, 'forms')
    const log = quietLog()
    const registry = await start(formsDir, log, true)
    expect(readdirSync(formsDir).sort()).toEqual(readdirSync(EXAMPLES_DIR).sort())
    const exampleIds = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort()
    expect(registry.list().map((f) => f.definition.id).sort()).toEqual(exampleIds)
    expect(log.lines.some((l) => l.startsWith(`Made ${formsDir} with the example forms`))).toBe(true)
    // No temporary folder left beside it.
    expect(readdirSync(parent)).toEqual(['forms'])
  })

  it('is left alone once it exists: a staff edit survives the next start', async () => {
    const parent = tempDir('rf-second-start-')
    dirs.push(parent)
    const formsDir = path.join(parent, 'forms')
    await start(formsDir, quietLog(), true)
    const file = path.join(formsDir, 'carers-referral.yaml')
    const edited = readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: Edited by staff')
    writeFileSync(file, edited)
    rmSync(path.join(formsDir, 'professional-referral.yaml'))
    const registry = await start(formsDir, quietLog(), true)
    expect(readFileSync(file, 'utf8')).toBe(edited)
    expect(registry.list().map((f) => f.definition.id)).toEqual(['carers-referral'])
    expect(registry.get('carers-referral')?.definition.title).toBe('Edited by staff')
  })

  it('is not made when FORMS_DIR names a missing folder: that is a mistake to report', async () => {
    const parent = tempDir('rf-missing-')
    dirs.push(parent)
    const formsDir = path.join(parent, 'typo')
    const err = await start(formsDir, quietLog()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StartupError)
    expect((err as Error).message).toContain(`the folder ${formsDir} does not exist`)
    expect(existsSync(formsDir)).toBe(false)
  })
})
