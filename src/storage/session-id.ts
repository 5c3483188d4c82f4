/** Sessions are stored under a SHA-256 of their id, so a copy of the database holds no usable session. */
import { createHash } from 'node:crypto'

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex')
