/**
 * `npm run forms:check [folder]`: validates every form file in a folder (default FORMS_DIR or ./forms)
 * exactly as the server does at start, prints each problem with file, line and path, and exits 1 if
 * any file is broken. Also checks that form.schema.json is up to date (`npm run forms:schema` writes it).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { formJsonSchema, JSON_SCHEMA_FILE } from '../forms/json-schema.js'
import { formatProblem, loadFormsDir } from '../forms/load.js'
import { DEFAULT_FORMS_DIR, EXAMPLES_DIR } from '../paths.js'

// The live folder; before the first start has made ./forms, the shipped examples.
const dir = process.argv[2] ?? process.env.FORMS_DIR ?? (existsSync(DEFAULT_FORMS_DIR) ? DEFAULT_FORMS_DIR : EXAMPLES_DIR)
let result
try {
  result = await loadFormsDir(dir)
} catch (err) {
  console.error(`Cannot read the forms folder ${dir}: ${(err as Error).message}`)
  process.exit(2)
}
for (const [id, form] of result.forms) console.log(`ok      ${form.file} (${id})`)
for (const [file, problems] of result.broken) {
  console.log(`broken  ${file}`)
  for (const p of problems) console.log(`        ${formatProblem(p)}`)
}
const schemaFile = path.join(dir, JSON_SCHEMA_FILE)
const current = await readFile(schemaFile, 'utf8').catch(() => undefined)
if (current !== undefined && current !== formJsonSchema()) {
  console.log(`note    ${JSON_SCHEMA_FILE} is out of date: run npm run forms:schema${path.resolve(dir) === EXAMPLES_DIR ? '' : ` -- ${dir}`}`)
}
console.log(`${result.forms.size} form(s) ok, ${result.broken.size} broken`)
process.exit(result.broken.size > 0 ? 1 : 0)
