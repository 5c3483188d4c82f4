/**
 * `npm run forms:check [folder]`: validates every form exactly as the server does at start, prints
 * each problem with file, line and path, and exits 1 if any is broken. Checks the folder given, else
 * the forms in the database when DATABASE_URL is set (where the forms live then), else FORMS_DIR (or
 * ./forms). For a folder, also checks that form.schema.json is up to date (`npm run forms:schema`).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { loadConfig } from '../config.js'
import { environment, openConfigured } from '../environment.js'
import { formJsonSchema, JSON_SCHEMA_FILE } from '../forms/json-schema.js'
import { formatProblem, loadFormsDir, type FormsDirResult } from '../forms/load.js'
import { publishGate } from '../forms/publish-gate.js'
import { databaseFormSource } from '../forms/source.js'
import { DEFAULT_FORMS_DIR, EXAMPLES_DIR } from '../paths.js'

const env = environment()
const fromDatabase = process.argv[2] === undefined && env.DATABASE_URL !== undefined && env.DATABASE_URL !== ''
// The live folder; before the first start has made ./forms, the shipped examples.
const dir = process.argv[2] ?? env.FORMS_DIR ?? (existsSync(DEFAULT_FORMS_DIR) ? DEFAULT_FORMS_DIR : EXAMPLES_DIR)
let result: FormsDirResult
try {
  if (fromDatabase) {
    const { storage } = await openConfigured(loadConfig(env)) // a wrong setting is said before anything else
    console.log('Checking the forms in the database (DATABASE_URL)')
    result = await databaseFormSource(storage.forms).load()
    await storage.close()
  } else {
    result = await loadFormsDir(dir)
  }
} catch (err) {
  console.error(fromDatabase ? (err as Error).message : `Cannot read the forms folder ${dir}: ${(err as Error).message}`)
  process.exit(2)
}
for (const [id, form] of result.forms) {
  console.log(`ok      ${form.file} (${id})`)
  // Not a failure: files from before these keys stay valid; the form builder will not publish without them.
  for (const p of publishGate(form.definition, form.file)) console.log(`        warning: ${p.path}: ${p.message}`)
}
for (const [file, problems] of result.broken) {
  console.log(`broken  ${file}`)
  for (const p of problems) console.log(`        ${formatProblem(p)}`)
}
if (!fromDatabase) {
  const current = await readFile(path.join(dir, JSON_SCHEMA_FILE), 'utf8').catch(() => undefined)
  if (current !== undefined && current !== formJsonSchema()) {
    console.log(`note    ${JSON_SCHEMA_FILE} is out of date: run npm run forms:schema${path.resolve(dir) === EXAMPLES_DIR ? '' : ` -- ${dir}`}`)
  }
}
console.log(`${result.forms.size} form(s) ok, ${result.broken.size} broken`)
process.exit(result.broken.size > 0 ? 1 : 0)
