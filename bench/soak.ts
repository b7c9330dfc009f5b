/**
 * `npm run soak`: the long, bounded load run (checklist d1, d2). Through the JWT path of the built
 * CLI, with the same origin, Ory and client roles as the bench:
 *   1. 200 keep-alive connections for 60 s, 100 sessions, warm cache;
 *   2. 10,000 distinct sessions churning through a 1,000-entry cache for 60 s (nearly every
 *      request a whoami call and a signature), 200 connections, after 20 s of the same as warm-up
 *      (V8 and the allocator take about 40 s of churn to reach their working size);
 *   3. 64 KiB responses through `--no-jwt` for 10 minutes (`--large-minutes`), 50 connections
 *      through wrk, after 20 s of the same (issue 12: the heap floor and client buffers for large bodies).
 * Each phase must end with zero errors and zero non-2xx answers; the proxy's RSS, sampled every
 * second, must stay within 50 MB + the heap floor (128 MB) of its size after the
 * warm-up and, once past that allowance, be flat over the last 30 s (least-squares slope under
 * 0.5 MB/s: V8 keeps growing its spaces slowly under load, a leak of even 100 bytes a request at
 * these rates would show several MB/s); the live heap after a full GC (bench/probes/probe.mjs)
 * must end within 10 MB of where it started, the direct sign of a leak. Exits 1 when a check fails.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { startQuiet } from './lib/cli-process.js'
import type { HttpLoad, LoadResult } from './lib/load.js'
import { ensurePeers } from './lib/peers.js'
import { createProbe } from './lib/probe.js'
import { rssBytes } from './lib/procfs.js'
import { startRole, type Role } from './lib/roles.js'
import { HEAP_FLOOR_BYTES } from '../src/heap-floor.js'

const MB = 1024 * 1024
const CONNECTIONS = 200
const GROWTH_LIMIT_MB = 50
const SLOPE_LIMIT_MB_PER_S = 0.5
const PLATEAU_WINDOW = 30
const HEAP_GROWTH_LIMIT_MB = 10
/**
 * The heap V8 may fill before a full collection (src/heap-floor.ts): RSS may grow by that much
 * with nothing leaking, and a rise is only news once it is past (by then V8 collects, and a proxy
 * that does not leak stays flat).
 */
const HEAP_FLOOR_MB = HEAP_FLOOR_BYTES / MB
/** How long the large-body phase runs (`--large-minutes`). */
const LARGE_MINUTES = Number(parseArgs({ options: { 'large-minutes': { type: 'string', default: '10' } } }).values['large-minutes'])

interface Phase {
  readonly name: string
  readonly flags: readonly string[]
  /** The origin's path the load asks for (default `/`, 1 KiB). */
  readonly path?: string
  readonly warmUp: Omit<HttpLoad, 'url'>
  readonly load: Omit<HttpLoad, 'url'>
}

const PHASES: readonly Phase[] = [
  {
    name: `${CONNECTIONS} connections, 60 s, 100 sessions, warm cache`,
    flags: [],
    warmUp: { kind: 'http', connections: 20, amount: 2_000, sessions: 100 },
    load: { kind: 'http', connections: CONNECTIONS, seconds: 60, sessions: 100 },
  },
  {
    name: `10,000 sessions churning through a 1,000-entry cache, ${CONNECTIONS} connections, 60 s`,
    flags: ['--session-cache-size', '1000'],
    warmUp: { kind: 'http', connections: CONNECTIONS, seconds: 20, sessions: 10_000 },
    load: { kind: 'http', connections: CONNECTIONS, seconds: 60, sessions: 10_000 },
  },
  {
    // Issue 12: what RSS a proxy passing large bodies settles at, with its V8 settings and 256 KiB client buffers.
    name: `64 KiB responses through --no-jwt, 50 connections (wrk), ${LARGE_MINUTES} minutes`,
    flags: ['--no-jwt'],
    path: '/64k',
    warmUp: { kind: 'http', client: 'wrk', connections: 50, seconds: 20 },
    load: { kind: 'http', client: 'wrk', connections: 50, seconds: LARGE_MINUTES * 60 },
  },
]

/** Least-squares slope of `values` sampled once a second, per second. */
function slope(values: readonly number[]): number {
  const n = values.length
  const meanX = (n - 1) / 2
  const meanY = values.reduce((sum, v) => sum + v, 0) / n
  let num = 0
  let den = 0
  values.forEach((v, x) => {
    num += (x - meanX) * (v - meanY)
    den += (x - meanX) ** 2
  })
  return den === 0 ? 0 : num / den
}

/** The highest of each minute's samples (taken once a second). */
function peaksByMinute(samples: readonly number[]): number[] {
  const peaks: number[] = []
  for (let start = 0; start < samples.length; start += 60) peaks.push(Math.max(...samples.slice(start, start + 60)))
  return peaks
}

async function runPhase(client: Role, origin: string, ory: string, phase: Phase): Promise<string[]> {
  const probe = createProbe(`soak-${PHASES.indexOf(phase)}`, true)
  const proxy = await startQuiet([origin, '--sdk-url', ory, ...phase.flags], probe.options)
  try {
    const url = `http://127.0.0.1:${proxy.port}${phase.path ?? '/'}`
    await client.ask({ ...phase.warmUp, url }, 120_000)
    const heapBefore = (await probe.read(proxy.pid)).heapUsed! / MB
    const baseline = rssBytes(proxy.pid) / MB
    const samples: number[] = []
    const sampler = setInterval(() => samples.push(rssBytes(proxy.pid) / MB), 1_000)
    const answer = await client.ask<{ results?: LoadResult[]; error?: string }>({ ...phase.load, url }, ((phase.load.seconds ?? 60) + 120) * 1_000)
    clearInterval(sampler)
    if (answer.error !== undefined) return [`the client failed: ${answer.error}`]
    const heapAfter = (await probe.read(proxy.pid)).heapUsed! / MB
    const result = answer.results![0]!
    const peak = Math.max(...samples)
    const tail = samples.slice(-PLATEAU_WINDOW)
    const tailSlope = slope(tail)
    console.log(
      `${phase.name}: ${result.requests.toLocaleString('en')} requests, ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `${result.errors} errors/non-2xx; RSS ${baseline.toFixed(0)} MB after warm-up, peak ${peak.toFixed(0)} MB, ` +
        `last ${tail.length} s slope ${tailSlope.toFixed(3)} MB/s; heap after GC ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB`,
    )
    // A long phase also shows where RSS went minute by minute: settled or still climbing.
    if (samples.length > 120) console.log(`  RSS peak by minute: ${peaksByMinute(samples).map((mb) => mb.toFixed(0)).join(' ')} MB`)
    const failures: string[] = []
    if (result.errors > 0) failures.push(`${result.errors} errors or non-2xx answers`)
    const growthLimit = GROWTH_LIMIT_MB + HEAP_FLOOR_MB
    if (peak - baseline > growthLimit) failures.push(`RSS grew ${(peak - baseline).toFixed(0)} MB (limit ${growthLimit})`)
    if (heapAfter - heapBefore > HEAP_GROWTH_LIMIT_MB) failures.push(`live heap grew ${(heapAfter - heapBefore).toFixed(1)} MB`)
    if (tailSlope > SLOPE_LIMIT_MB_PER_S && peak - baseline > HEAP_FLOOR_MB) {
      failures.push(`RSS still rising at ${tailSlope.toFixed(3)} MB/s over the last ${tail.length} s, past the heap floor`)
    }
    return failures.map((failure) => `${phase.name}: ${failure}`)
  } finally {
    await proxy.stop()
  }
}

console.log(`soak: load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
ensurePeers()
const origin = await startRole('origin.ts')
const ory = await startRole('ory.ts')
const client = await startRole('client.ts')
const failures: string[] = []
try {
  for (const phase of PHASES) {
    failures.push(...(await runPhase(client, `http://127.0.0.1:${origin.port}`, `http://127.0.0.1:${ory.port}`, phase)))
  }
} finally {
  await Promise.all([origin.stop(), ory.stop(), client.stop()])
}
for (const failure of failures) console.log(`soak: FAILED ${failure}`)
console.log(failures.length === 0 ? 'soak: passed' : `soak: ${failures.length} check(s) failed`)
process.exitCode = failures.length === 0 ? 0 : 1
