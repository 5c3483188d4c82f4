/**
 * Reading form files: YAML text → a checked FormDefinition, or a list of problems that each say the
 * file, the path inside the document (`people[1].fields[3].options`), the line, and what is wrong in
 * plain English. One broken file never stops the others (`loadFormsDir`).
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml'
import { z } from 'zod'
import { FIELD_TYPE_NAMES } from './fields.js'
import { formSchema, originSchema, type FormDefinition } from './schema.js'

export interface FormProblem {
  file: string
  /** Path inside the document, like `people[1].fields[3].options`; empty for the whole file. */
  path: string
  line: number | undefined
  message: string
}

export interface LoadedForm {
  definition: FormDefinition
  /** Short hash of the file's text: which version of the form a submission was made with. */
  hash: string
  file: string
}

/**
 * What can still be read of a broken form file, for its "not available" page: the language to say it
 * in and the sites allowed to show it in a frame (so a charity's iframe shows the kind page, not the
 * browser's refusal). Each part is taken only if it is itself valid.
 */
export interface Salvaged { language: 'en' | 'cy', allowedOrigins: string[] }

export type ParseResult = { ok: true, form: LoadedForm } | { ok: false, problems: FormProblem[], salvaged?: Salvaged }

const salvageSchema = z.object({
  language: z.enum(['en', 'cy']).catch('en'),
  embed: z.object({ allowed_origins: z.array(originSchema).catch([]) }).catch({ allowed_origins: [] }),
})

function salvage (data: unknown): Salvaged | undefined {
  const r = salvageSchema.safeParse(data)
  return r.success ? { language: r.data.language, allowedOrigins: r.data.embed.allowed_origins } : undefined
}

export function formatProblem (p: FormProblem): string {
  const where = [p.file, p.line !== undefined ? `line ${p.line}` : undefined, p.path || undefined].filter(Boolean).join(', ')
  return `${where}: ${p.message}`
}

export function pathToString (segments: readonly PropertyKey[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`
    else out += out === '' ? String(s) : `.${String(s)}`
  }
  return out
}

/** Line (1-based) of the node at `segments`, or of its nearest ancestor that exists. */
function lineOf (doc: Document, counter: LineCounter, segments: readonly PropertyKey[], key?: string): number | undefined {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n) as unknown[], true)
    if (!isNode(node)) continue
    if (key !== undefined && n === segments.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)
      if (pair && isScalar(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line
    }
    if (node.range) return counter.linePos(node.range[0]).line
  }
  return undefined
}

function describe (issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling (unknown keys are not allowed)`
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `should be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`
    case 'invalid_union':
      if (('note' in issue && issue.note === 'No matching discriminator') || ('discriminator' in issue && issue.discriminator)) {
        if (issue.path[0] === 'destination') return 'type must be charitylog or lamplight'
        return `type must be one of ${FIELD_TYPE_NAMES.join(', ')}`
      }
      return 'is not in any of the allowed shapes (for show_if: {field, equals} or {field, in: [...]})'
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`
      if (issue.origin === 'string') return 'must not be empty'
      return `must be at least ${String(issue.minimum)}`
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`
    default:
      return issue.message
  }
}

/** The largest form file read: the examples are 2 KB; a form of 200 questions is under 40 KB. */
export const MAX_FORM_BYTES = 256 * 1024
/** The deepest nesting a form file may have (the examples have 6 levels). */
export const MAX_NESTING = 50
/** Aliases (`*name`) the document may expand: YAML's own defence against an "alias bomb". */
const MAX_ALIAS_COUNT = 100

/**
 * How deeply the text nests, read before the YAML parser sees it (whose recursion a deep enough text
 * exhausts, taking the process with it): indentation levels and `- ` items of block collections, plus
 * `[`/`{` of flow collections, outside quoted scalars and comments. An estimate that can only err high.
 */
export function nestingDepth (text: string): number {
  const indents: number[] = []
  let flow = 0
  let max = 0
  let quote: '"' | "'" | undefined
  for (const line of text.split('\n')) {
    if (flow === 0 && quote === undefined) {
      const m = /^([ \t]*)((?:[-?:][ \t]+)*)(.?)/.exec(line)!
      if (m[3] !== '' && m[3] !== '#') {
        const indent = m[1]!.length + m[2]!.length
        while (indents.length > 0 && indents.at(-1)! >= indent) indents.pop()
        indents.push(indent)
        max = Math.max(max, indents.length + m[2]!.replace(/[ \t]/g, '').length)
      }
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') i++
        else if (c === quote) quote = undefined
        continue
      }
      const before = i === 0 ? ' ' : line[i - 1]!
      if (c === '#' && /[ \t]/.test(before)) break
      if ((c === '"' || c === "'") && /[ \t[{,:]/.test(before)) quote = c
      else if (c === '[' || c === '{') max = Math.max(max, indents.length + ++flow)
      else if ((c === ']' || c === '}') && flow > 0) flow--
    }
  }
  return max
}

/** Checks that the text can be parsed safely at all: its size and its nesting (with the limit in the message). */
function unsafeToParse (file: string, text: string): FormProblem | undefined {
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_FORM_BYTES) {
    return { file, path: '', line: undefined, message: `the file is ${Math.ceil(bytes / 1024)} KB: a form file may be at most ${MAX_FORM_BYTES / 1024} KB` }
  }
  if (nestingDepth(text) > MAX_NESTING) {
    return { file, path: '', line: undefined, message: `the file nests more than ${MAX_NESTING} levels deep: a form file never needs that many` }
  }
  return undefined
}

/** A plain hint for the parser's messages about the commonest slips. */
function yamlHint (said: string): string {
  if (/Nested mappings are not allowed|Implicit map keys need|mapping values are not allowed|Implicit keys need to be on a single line/i.test(said)) {
    return ' (often a colon and a space inside a text: put the whole text in quotes, like label: "Best time: morning or evening")'
  }
  if (/tab/i.test(said)) return ' (indent with spaces, not the Tab key)'
  return ''
}

/** The parser's own exceptions as a problem of the text, never an error of the server. */
function parserProblem (file: string, err: unknown): FormProblem {
  const message = err instanceof Error ? err.message : String(err)
  return {
    file,
    path: '',
    line: undefined,
    message: /alias/i.test(message)
      ? `too many aliases: the document expands too much (more than ${MAX_ALIAS_COUNT} uses of an anchor)`
      : `the YAML cannot be read: ${message.split('\n')[0]}`,
  }
}

export function parseFormText (file: string, text: string): ParseResult {
  const unsafe = unsafeToParse(file, text)
  if (unsafe) return { ok: false, problems: [unsafe] }
  const counter = new LineCounter()
  let doc: Document
  let data: unknown
  try {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true })
    data = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    return { ok: false, problems: [parserProblem(file, err)] }
  }
  if (doc.errors.length > 0) {
    const problems: FormProblem[] = []
    for (const e of doc.errors) {
      const said = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')
      const p = { file, path: '', line: e.linePos?.[0]?.line, message: `the YAML cannot be read: ${said}${yamlHint(said)}` }
      // The parser can report one mistake more than once on a line: list it once.
      if (!problems.some((q) => q.line === p.line && q.message === p.message)) problems.push(p)
    }
    return { ok: false, problems }
  }
  const result = formSchema.safeParse(data, { reportInput: true }) // input: to tell "missing" from "wrong type"
  const expectedId = path.basename(file).replace(/\.ya?ml$/, '')
  if (!result.success) {
    return {
      ok: false,
      salvaged: salvage(data),
      problems: result.error.issues.map((issue) => {
        const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined
        return { file, path: pathToString(issue.path), line: lineOf(doc, counter, issue.path, key), message: describe(issue) }
      }),
    }
  }
  if (result.data.id !== expectedId) {
    return { ok: false, problems: [{ file, path: 'id', line: lineOf(doc, counter, ['id']), message: `the id "${result.data.id}" must equal the file name without .yaml ("${expectedId}")` }] }
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16)
  return { ok: true, form: { definition: result.data, hash, file } }
}

export interface FormsDirResult {
  forms: Map<string, LoadedForm>
  /** Problems per file name; a file listed here is not served. */
  broken: Map<string, FormProblem[]>
  /** Per broken file name, what could still be read of it (valid YAML only). */
  salvaged: Map<string, Salvaged>
}

/**
 * Reads every `*.yaml` in `dir`. A missing folder is an error the caller reports; a bad file is not,
 * whatever is in it: too large (not even read), too deep, unreadable or invalid, it is listed in
 * `broken` and the others load.
 */
export async function loadFormsDir (dir: string): Promise<FormsDirResult> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort()
  const results: Array<[string, ParseResult]> = []
  for (const name of names) {
    const file = path.join(dir, name)
    let result: ParseResult
    try {
      const { size } = await stat(file)
      result = size > MAX_FORM_BYTES ? tooLarge(name, size) : parseFormText(name, await readFile(file, 'utf8'))
    } catch (err) {
      result = { ok: false, problems: [{ file: name, path: '', line: undefined, message: `the file cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] }
    }
    results.push([name, result])
  }
  return collect(results)
}

const tooLarge = (name: string, size: number): ParseResult =>
  ({ ok: false, problems: [{ file: name, path: '', line: undefined, message: `the file is ${Math.ceil(size / 1024)} KB: a form file may be at most ${MAX_FORM_BYTES / 1024} KB` }] })

/** Form texts kept elsewhere (the database), named as their files would be: checked exactly as files are. */
export function loadFormTexts (texts: Array<{ name: string, text: string }>): FormsDirResult {
  return collect(texts.map(({ name, text }) => {
    const size = Buffer.byteLength(text)
    return [name, size > MAX_FORM_BYTES ? tooLarge(name, size) : parseFormText(name, text)]
  }))
}

function collect (results: Array<[string, ParseResult]>): FormsDirResult {
  const forms = new Map<string, LoadedForm>()
  const broken = new Map<string, FormProblem[]>()
  const salvaged = new Map<string, Salvaged>()
  for (const [name, result] of results) {
    if (result.ok) forms.set(result.form.definition.id, result.form)
    else {
      broken.set(name, result.problems)
      if (result.salvaged) salvaged.set(name, result.salvaged)
    }
  }
  return { forms, broken, salvaged }
}
