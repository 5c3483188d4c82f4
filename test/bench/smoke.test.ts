/**
 * The bench script runs (`npm run bench -- --smoke --json`: every row for a second or so, small
 * counts) and reports every row with numbers. Says nothing about the targets: timings on a shared
 * machine are not for `npm test` (docs/performance.md has the figures and how to get them).
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

const ROWS = [
  /^GET \/forms\/carers-referral$/,
  /^POST valid submission$/,
  /^POST p99 at 50 connections$/,
  /^POST p99, CRM answering after 5 s$/,
  /^POST valid submission, PostgreSQL$/,
  /^POST p99 at 50 connections, PostgreSQL$/,
  /^Outbox drain to a local fake CRM$/,
  /^Outbox drain, PostgreSQL, 1 server$/,
  /^Outbox drain, PostgreSQL, 2 servers$/,
  /^Page weight, HTML \+ CSS \+ JS gzipped$/,
  /^RSS after [\d,]+ submissions$/,
]

function runBench (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe('the bench script', () => {
  it('completes a smoke run and prints every row with numbers, as one JSON document', async () => {
    const { code, stdout, stderr } = await runBench(['--smoke', '--json'])
    expect(code, stderr.slice(-3000)).toBe(0)
    const doc = JSON.parse(stdout) as { smoke: boolean, rows: Array<Record<string, unknown>> }
    expect(doc.smoke).toBe(true)
    expect(doc.rows).toHaveLength(ROWS.length)
    for (const [i, pattern] of ROWS.entries()) {
      const row = doc.rows[i]!
      expect(row.name).toMatch(pattern)
      for (const key of ['ours', 'limit', 'ratio'] as const) expect(Number.isFinite(row[key]), `${String(row.name)}: ${key}`).toBe(true)
      expect(typeof row.target).toBe('string')
      expect(typeof row.met).toBe('boolean')
    }
  }, 180_000)
})
