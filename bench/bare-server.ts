/**
 * The limit the bench compares with: bare Fastify on the same machine, in its own process, doing the
 * least that answers the same requests. `GET /forms/:id` sends the bytes of our page (read once from
 * the file given as argument) as a static string; `POST /forms/:id` parses the same urlencoded body
 * (@fastify/formbody, as ours does) and answers 303. No logger, no hooks, no plugins beyond that.
 */
import { readFileSync } from 'node:fs'
import formbody from '@fastify/formbody'
import Fastify from 'fastify'

const page = readFileSync(process.argv[2] ?? '', 'utf8')
const app = Fastify({ logger: false })
await app.register(formbody)
app.get('/forms/:id', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page))
app.post('/forms/:id', async (_req, reply) => reply.code(303).header('location', '/forms/carers-referral/sent/ABCDEFGH').send())
const url = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`bare listening at ${url}`)
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
