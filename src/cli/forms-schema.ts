/** `npm run forms:schema [folder]`: writes form.schema.json (for editors) into the forms folder. */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { formJsonSchema, JSON_SCHEMA_FILE } from '../forms/json-schema.js'

const dir = process.argv[2] ?? process.env.FORMS_DIR ?? './forms'
const file = path.join(dir, JSON_SCHEMA_FILE)
await writeFile(file, formJsonSchema())
console.log(`Wrote ${file}`)
