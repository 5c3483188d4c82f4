/** `npm run forms:schema [folder]`: writes form.schema.json (for editors) into a forms folder (default: the shipped examples). */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { formJsonSchema, JSON_SCHEMA_FILE } from '../forms/json-schema.js'
import { EXAMPLES_DIR } from '../paths.js'

const dir = process.argv[2] ?? EXAMPLES_DIR
const file = path.join(dir, JSON_SCHEMA_FILE)
await writeFile(file, formJsonSchema())
console.log(`Wrote ${file}`)
