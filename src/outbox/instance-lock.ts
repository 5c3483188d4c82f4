/**
 * One server per DATA_DIR. Two servers delivering from the same outbox would work (leases keep them
 * apart) but would make a killed server's claims wait for their leases to expire; with one server, a
 * claim that exists when the server starts can only be a dead process's, and is released at once.
 * The lock is a file holding the owner's pid; a file left by a dead process is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'

export const LOCK_FILE = 'server.lock'

export class InstanceLockedError extends Error {
  constructor (readonly pid: number, dataDir: string) {
    super(`DATA_DIR: another server (process ${pid}) is already using ${dataDir}; stop it first, or give this one another DATA_DIR`)
    this.name = 'InstanceLockedError'
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Lock files held by this process (two apps in one process must not share a folder either). */
const held = new Set<string>()

/** Takes the lock or throws InstanceLockedError. Returns the function that releases it. */
export function acquireInstanceLock (dataDir: string): () => void {
  const file = path.resolve(dataDir, LOCK_FILE)
  if (held.has(file)) throw new InstanceLockedError(process.pid, dataDir)
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      held.add(file)
      let released = false
      return () => {
        if (released) return
        released = true
        held.delete(file)
        rmSync(file, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new InstanceLockedError(pid, dataDir)
      rmSync(file, { force: true }) // left by a dead process (or by this pid in an earlier life): take it over
    }
  }
  throw new Error(`Could not take the lock ${file}`)
}
