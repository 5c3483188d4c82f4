/**
 * The JSON Schema of a form file, generated from the zod schema (so the two cannot drift apart) and
 * written into the forms folder as `form.schema.json`. Form files point at it with the comment
 * `# yaml-language-server: $schema=./form.schema.json`, and VS Code's YAML extension then completes
 * keys and underlines mistakes. Rules that span keys (unique names, show_if targets) are checked by
 * the server and `npm run forms:check`, not by the editor.
 */
import { z } from 'zod'
import { formSchema } from './schema.js'

export const JSON_SCHEMA_FILE = 'form.schema.json'

export function formJsonSchema (): string {
  const schema = z.toJSONSchema(formSchema, { target: 'draft-7', unrepresentable: 'any', reused: 'ref' }) as Record<string, unknown>
  return `${JSON.stringify({ ...schema, title: 'Referral form definition', description: 'A self-referral form: see the README and the form definition spec.' }, null, 2)}\n`
}
