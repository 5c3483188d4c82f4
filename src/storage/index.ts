/**
 * The one door to the app's state: `openStorage` picks the implementation (today SQLite in
 * DATA_DIR) and gives it the sealer for personal data; nothing else in the app sees either.
 */
import { createSealer } from '../security/encryption.js'
import { openSqliteStorage } from './sqlite/index.js'
import type { Storage } from './types.js'

export type * from './types.js'

export interface StorageOptions {
  dataDir: string
  /** SECRET_KEY (or the generated one): personal data is sealed with a key derived from it. */
  secret: string
}

export function openStorage (o: StorageOptions): Storage {
  return openSqliteStorage(o.dataDir, createSealer(o.secret))
}
