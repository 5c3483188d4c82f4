/**
 * `npm run forms:export [-- --to FOLDER]`: with DATABASE_URL, writes every form in the database out
 * as `{id}.yaml` files (default: FORMS_DIR), exactly as they are stored, comments and all: a copy to
 * keep in version control, to read, or to move the install back to files. Without DATABASE_URL the
 * forms are files in FORMS_DIR already, and there is nothing to do.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { openConfigured, runCli } from '../environment.js'

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  const at = args.indexOf('--to')
  if ((at >= 0 && args[at + 1] === undefined) || args.some((a, i) => a !== '--to' && i !== at + 1)) {
    console.error('Use: npm run forms:export [-- --to FOLDER]')
    return 2
  }
  const { config, storage } = await openConfigured()
  try {
    if (!storage.shared) {
      console.log(`The forms are files in ${config.formsDir} already (no DATABASE_URL): nothing to export.`)
      return 0
    }
    const dir = at >= 0 ? args[at + 1]! : config.formsDir
    await mkdir(dir, { recursive: true })
    const forms = await storage.forms.list()
    for (const f of forms) {
      const file = path.join(dir, `${f.id}.yaml`)
      const before = await readFile(file, 'utf8').catch(() => undefined)
      if (before === f.text) {
        console.log(`same    ${file}`)
        continue
      }
      // Written aside and renamed, so a file is never half-written.
      await writeFile(`${file}.export-tmp`, f.text, { mode: 0o644 })
      await rename(`${file}.export-tmp`, file)
      console.log(`${before === undefined ? 'wrote' : 'updated'} ${file} (saved ${new Date(f.updated_at).toISOString().slice(0, 16).replace('T', ' ')} by ${f.updated_by})`)
    }
    console.log(`${forms.length} form(s) exported to ${dir}`)
    return 0
  } finally {
    await storage.close()
  }
}

runCli(main)
