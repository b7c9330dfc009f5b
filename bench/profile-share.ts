/**
 * Where a proxy's CPU went, from a `--cpu-prof` profile (`npm run bench -- --profile` writes one per
 * proxy into bench/results/profiles/): the share of the busy time (idle left out) spent in each
 * group of code, and the files that cost most. For costs too small to see through the noise of
 * CPU-per-request figures on a shared machine, e.g. the metrics' per-request work:
 *
 *   node --import tsx bench/profile-share.ts bench/results/profiles/no-jwt-metrics-*.cpuprofile
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Groups, first match wins; a node's self time goes to the group of its own frame. */
const GROUPS: ReadonlyArray<readonly [string, (frame: ProfileNode['callFrame']) => boolean]> = [
  ['observability (metrics, request log: src/observability, prom-client, sonic-boom, pino)', (f) => /\/observability\/|prom-client|sonic-boom|\/pino\//.test(f.url)],
  ['clock reads (performance.now)', (f) => f.functionName === 'now' && f.url === ''],
  ['the proxy (src/server, src/session)', (f) => /\/dist\/(server|session)\//.test(f.url)],
  ['undici', (f) => f.url.includes('/undici/')],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['Node and V8', () => true],
]

function shares(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byGroup = new Map<string, number>()
  const byFile = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id)!
    if (frame.functionName === '(idle)') return
    const micros = profile.timeDeltas[index] ?? 0
    busy += micros
    const group = GROUPS.find(([, matches]) => matches(frame))![0]
    byGroup.set(group, (byGroup.get(group) ?? 0) + micros)
    const where = frame.url === '' ? frame.functionName : frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')
    byFile.set(where, (byFile.get(where) ?? 0) + micros)
  })
  const percent = (micros: number) => `${((micros / busy) * 100).toFixed(2)} %`
  console.log(`${basename(file)}: ${(busy / 1e6).toFixed(1)} s busy`)
  for (const [group] of GROUPS) console.log(`  ${percent(byGroup.get(group) ?? 0).padStart(8)}  ${group}`)
  console.log('  files:')
  for (const [where, micros] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${percent(micros).padStart(8)}  ${where}`)
}

for (const file of process.argv.slice(2)) shares(file)
