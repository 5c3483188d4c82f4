/** Folders shipped with the code, found relative to this file so the server runs from any directory. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const VIEWS_DIR = path.join(ROOT_DIR, 'views')
export const PUBLIC_DIR = path.join(ROOT_DIR, 'public')
