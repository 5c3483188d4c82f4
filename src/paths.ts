/** Folders shipped with the code, found relative to this file so the server runs from any directory. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const VIEWS_DIR = path.join(ROOT_DIR, 'views')
export const PUBLIC_DIR = path.join(ROOT_DIR, 'public')
/** The example forms shipped with the product (git tracks them); FORMS_DIR is made from them at first start. */
export const EXAMPLES_DIR = path.join(ROOT_DIR, 'examples', 'forms')
/** FORMS_DIR when the environment does not set it (the configuration spec's default). */
export const DEFAULT_FORMS_DIR = './forms'
