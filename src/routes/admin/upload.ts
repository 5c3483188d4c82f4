/**
 * File uploads on the staff pages (the logo, Site settings): a `multipart/form-data` body read into
 * fields and files (as Buffers, at most `fileSize` bytes each, longer ones cut there), before the CSRF
 * check reads `_csrf` from it. The parser is @fastify/busboy (what @fastify/multipart uses), loaded at
 * the first upload rather than at start: uploads are rare, and its modules cost every server memory
 * (docs/performance.md, the RSS row). Only that loading is ours; the parsing is busboy's.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'

export interface UploadLimits { fileSize: number, files: number, fields: number }

/** A body that is not multipart as it says: the client's mistake (400), never a server error. */
const badUpload = (err: unknown) => Object.assign(new Error(`The upload could not be read (${(err as Error).message})`), { statusCode: 400 })

export async function readUpload (headers: IncomingHttpHeaders, body: Readable, limits: UploadLimits): Promise<Record<string, string | Buffer>> {
  const { Busboy } = await import('@fastify/busboy')
  return readWith(Busboy, headers, body, limits).catch((err: unknown) => { throw badUpload(err) })
}

function readWith (Busboy: typeof import('@fastify/busboy').Busboy, headers: IncomingHttpHeaders, body: Readable, limits: UploadLimits): Promise<Record<string, string | Buffer>> {
  return new Promise((resolve, reject) => {
    const out: Record<string, string | Buffer> = Object.create(null) as Record<string, string | Buffer>
    const files: Array<Promise<void>> = []
    const bb = Busboy({ headers: headers as Parameters<typeof Busboy>[0]['headers'], limits: { ...limits, parts: limits.files + limits.fields, fieldSize: 4096 } })
    bb.on('field', (name: string, value: string) => { out[name] = value })
    bb.on('file', (name: string, stream: Readable) => {
      const chunks: Buffer[] = []
      files.push(new Promise((resolve) => {
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => { out[name] = Buffer.concat(chunks); resolve() })
      }))
    })
    bb.on('finish', () => { Promise.all(files).then(() => resolve(out), reject) })
    bb.on('error', reject)
    body.on('error', reject)
    body.pipe(bb)
  })
}
