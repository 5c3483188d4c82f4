/** Staff settings in SQLite (table `settings`). */
import type { SettingsStore } from '../types.js'
import type { SqliteConnections } from './connection.js'

export function createSqliteSettings ({ db }: SqliteConnections): SettingsStore {
  const get = db.prepare('SELECT value FROM settings WHERE key = ?').pluck()
  const set = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  return {
    async get (key) { return get.get(key) as string | undefined },
    async set (key, value) { set.run(key, value) },
  }
}
