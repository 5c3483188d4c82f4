/** The bench's rows, and the two ways it prints them: a Markdown table, or one JSON document. */
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'

export interface Row {
  name: string
  unit: string
  ours: number
  /** What ours is compared with: bare Fastify measured in the same run, or the fixed limit of the target. */
  limit: number
  /** ours / limit. */
  ratio: number
  target: string
  met: boolean
  /** What was measured, in a few words (counts, connections, what the limit is). */
  detail: string
}

/** A row whose target is a ratio to the limit: `atLeast` (e.g. 0.6 for "≥ 60 %") or `atMost` (1.1: "within 10 %"). */
export function ratioRow (name: string, unit: string, ours: number, limit: number, target: { atLeast: number } | { atMost: number }, detail: string): Row {
  const ratio = ours / limit
  return 'atLeast' in target
    ? { name, unit, ours, limit, ratio, target: `≥ ${Math.round(target.atLeast * 100)} %`, met: ratio >= target.atLeast, detail }
    : { name, unit, ours, limit, ratio, target: `≤ ${Math.round(target.atMost * 100)} %`, met: ratio <= target.atMost, detail }
}

/** A row whose limit is a fixed number (`atLeast`: ours must reach it; `atMost`: ours must stay under). */
export function fixedRow (name: string, unit: string, ours: number, limit: number, direction: 'atLeast' | 'atMost', detail: string): Row {
  const ratio = ours / limit
  return { name, unit, ours, limit, ratio, target: `${direction === 'atLeast' ? '≥' : '≤'} ${limit} ${unit}`, met: direction === 'atLeast' ? ours >= limit : ours <= limit, detail }
}

/**
 * What one fsynced commit costs on the disk of `dir` (median of 100 single-row commits with
 * synchronous=FULL): on a shared machine it varies from run to run, and the figures with it.
 */
export function fsyncMs (dir: string): number {
  const db = new Database(path.join(dir, 'fsync-probe.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)')
    const insert = db.prepare('INSERT INTO t (b) VALUES (?)')
    const blob = Buffer.alloc(2048)
    const times: number[] = []
    for (let i = 0; i < 100; i++) {
      const t = performance.now()
      insert.run(blob)
      times.push(performance.now() - t)
    }
    return times.sort((a, b) => a - b)[50]!
  } finally {
    db.close()
  }
}

export function machine () {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model
  } catch { /* not Linux */ }
  return { cores: cpus().length, cpu: model, memoryGb: Math.round(totalmem() / 2 ** 30 * 10) / 10, node: process.version }
}

const fmt = (n: number) => !Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-GB') : n.toFixed(1)

export function table (rows: Row[]): string {
  const lines = rows.map((r) => [r.name, `${fmt(r.ours)} ${r.unit}`, `${fmt(r.limit)} ${r.unit}`, `${(r.ratio * 100).toFixed(0)} %`, r.target, r.met ? 'yes' : 'NO'])
  const head = ['measurement', 'ours', 'limit', 'ratio', 'target', 'met']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n')
}

export function json (rows: Row[], extra: Record<string, unknown>, disk: { fsyncMs: number }): string {
  return JSON.stringify({ ...extra, machine: { ...machine(), ...disk }, rows }, null, 2)
}
