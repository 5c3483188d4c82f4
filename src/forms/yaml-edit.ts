/**
 * Changing a form file's YAML the way a person would, for the form builder (issue 14): with the `yaml`
 * library's Document API, so every comment, the order of keys and the style (block or `{ flow }`) a
 * person wrote stay as they were, and the builder and the YAML editor can be used on the same file.
 * Each change is a function on the Document; `editText` parses, applies and prints.
 */
import { isMap, isNode, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml'

/** Where a list of questions is: the referral's own (`fields`) or a people group's. */
export type ListPath = readonly ['fields'] | readonly ['people', number, 'fields']

export class EditError extends Error {
  override name = 'EditError'
}

/** Parses `text`, applies `edit`, and prints the document again; an EditError when the text is not YAML we can change. */
export function editText (text: string, edit: (doc: Document) => void): string {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new EditError(`The form file is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}): fix it in the YAML editor first`)
  if (!isMap(doc.contents)) throw new EditError('The form file is not a map of keys: fix it in the YAML editor first')
  edit(doc)
  return doc.toString({ lineWidth: 0 })
}

function seqAt (doc: Document, list: readonly (string | number)[], make: boolean): YAMLSeq | undefined {
  const node = doc.getIn(list, true)
  if (isSeq(node)) {
    // A comment above a list's first item is kept on the list; give it to the item, so it goes where the item goes.
    const first = node.items[0]
    if (node.commentBefore && isNode(first) && !first.commentBefore) {
      first.commentBefore = node.commentBefore
      node.commentBefore = undefined
    }
    return node
  }
  if (node === undefined && make) {
    doc.setIn(list, doc.createNode([]))
    return doc.getIn(list, true) as YAMLSeq
  }
  if (node !== undefined) throw new EditError(`${list.join('.')} is not a list: fix it in the YAML editor first`)
  return undefined
}

/** Moves item `index` of the list one place up (-1) or down (+1); false when it is already first or last. */
export function moveItem (doc: Document, list: readonly (string | number)[], index: number, delta: -1 | 1): boolean {
  const seq = seqAt(doc, list, false)
  const to = index + delta
  if (!seq || index < 0 || index >= seq.items.length || to < 0 || to >= seq.items.length) return false
  const [item] = seq.items.splice(index, 1)
  seq.items.splice(to, 0, item)
  return true
}

export function deleteItem (doc: Document, list: readonly (string | number)[], index: number): boolean {
  const seq = seqAt(doc, list, false)
  if (!seq || index < 0 || index >= seq.items.length) return false
  seq.items.splice(index, 1)
  return true
}

/** Adds `value` to the list (made if missing) at `at` (default: the end); returns its index. */
export function addItem (doc: Document, list: readonly (string | number)[], value: unknown, at?: number): number {
  const seq = seqAt(doc, list, true)!
  const index = at === undefined ? seq.items.length : Math.max(0, Math.min(at, seq.items.length))
  seq.items.splice(index, 0, doc.createNode(value))
  return index
}

/**
 * Sets keys of the map at `path` (a question, a group, the destination), keeping the others, their
 * order and their comments; a key given `undefined` is removed. A new key goes at the end.
 */
export function setKeys (doc: Document, path: readonly (string | number)[], keys: Record<string, unknown>): void {
  const node = doc.getIn(path, true)
  if (!isMap(node)) throw new EditError(`${path.join('.')} is not a map: fix it in the YAML editor first`)
  const map = node as YAMLMap
  for (const [key, value] of Object.entries(keys)) {
    if (value === undefined) {
      map.delete(key)
      continue
    }
    // A value that is already so stays as it is, with any comment on it.
    const current: unknown = map.get(key, true)
    const now = isNode(current) ? current.toJSON() : current
    if (JSON.stringify(now) === JSON.stringify(value)) continue
    map.set(key, doc.createNode(value))
  }
}
