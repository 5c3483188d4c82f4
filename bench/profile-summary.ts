/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [N]`: where the time of a V8 CPU profile went (as
 * written by `npm run bench -- --profile DIR`): the top N functions by self time, and self time by
 * package or source file, each as a share of the samples.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const file = process.argv[2]
if (!file) throw new Error('Usage: tsx bench/profile-summary.ts FILE.cpuprofile [N]')
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...self.values()].reduce((a, b) => a + b, 0)

/** A package name, our own file relative to the project, or the V8/Node category. */
function place (url: string): string {
  if (!url) return '(native / V8)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  if (url.startsWith('node:')) return url
  const own = /\/(src|bench|test)\/(.*)$/.exec(url)
  return own ? `${own[1]}/${own[2]}` : url
}

const fns = new Map<string, number>()
const places = new Map<string, number>()
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame
  const key = `${f.functionName || '(anonymous)'} ${place(f.url)}:${f.lineNumber + 1}`
  fns.set(key, (fns.get(key) ?? 0) + us)
  places.set(place(f.url), (places.get(place(f.url)) ?? 0) + us)
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / total * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
}
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
show('Self time by function', fns)
show('Self time by package or file', places)
