/**
 * The benchmark suite: `npm run bench` (everything, under 5 minutes), `npm run bench -- --only
 * <scenario>` (one, with what it is compared against), `npm run bench:guard` (then the budget).
 * Roles are separate processes on 127.0.0.1: origin, Ory, the proxies (the built CLI), the client.
 * Load scenarios run in interleaved rounds after a warm-up; every figure is also put against the
 * direct-to-origin baseline of the same round. Method and latest table: bench/README.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { judge, type Check, type ScenarioResult } from './lib/budget.js'
import { startQuiet } from './lib/cli-process.js'
import type { LoadResult } from './lib/load.js'
import { measureMemory } from './lib/memory.js'
import { createProbe, type Probe } from './lib/probe.js'
import { cpuMicros, rssBytes } from './lib/procfs.js'
import { startRole, type Role } from './lib/roles.js'
import { GROUPS, LOGGING, MEASUREMENTS, PROBED, PROXY_FLAGS, WITH_METRICS, type Measurement, type ProxyKind } from './lib/scenarios.js'
import { freePort } from '../test/helpers/upstream.js'
import { measureStartup } from './lib/startup.js'
import { medians, type Figures } from './lib/stats.js'
import { printTable, type Report } from './lib/table.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const MEMORY_SESSIONS = 100_000
const MB = 1024 * 1024
const BUDGET = (JSON.parse(readFileSync(new URL('budget.json', import.meta.url), 'utf8')) as { checks: Check[] }).checks

const { values: options } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    'startup-runs': { type: 'string', default: '7' },
    guard: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    latest: { type: 'boolean', default: false },
  },
})
const rounds = Number(options.rounds)
const seconds = Number(options.seconds)

/** The measurements, start-up and memory runs that `--only` selects, with what they are compared against. */
function select(only: readonly string[] | undefined): { measurements: Measurement[]; startup: boolean; memory: boolean } {
  const names = (only ?? []).flatMap((name) => name.split(','))
  if (names.length === 0) return { measurements: [...MEASUREMENTS], startup: true, memory: true }
  const known = new Set([...MEASUREMENTS.map((m) => m.id), ...Object.keys(GROUPS), 'startup', 'memory'])
  const unknown = names.filter((name) => !known.has(name))
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; one of: ${[...known].join(', ')}`)
  const wanted = new Set<string>()
  const add = (id: string): void => {
    if (wanted.has(id)) return
    wanted.add(id)
    const measurement = MEASUREMENTS.find((m) => m.id === id)!
    for (const other of [measurement.baseline, ...(measurement.needs ?? [])]) if (other !== undefined) add(other)
  }
  for (const name of names) for (const id of GROUPS[name] ?? (MEASUREMENTS.some((m) => m.id === name) ? [name] : [])) add(id)
  return {
    measurements: MEASUREMENTS.filter((m) => wanted.has(m.id)),
    startup: names.includes('startup'),
    memory: names.includes('memory'),
  }
}

interface Target {
  readonly base: string
  /** The proxy's process, whose CPU and RSS are read; undefined for the origin itself. */
  readonly pid: number | undefined
  /** The event-loop delay probe, for probed proxies. */
  readonly probe: Probe | undefined
  stop(): Promise<void>
}

async function startProxy(kind: ProxyKind, origin: string, ory: string): Promise<Target> {
  if (kind === 'reference') {
    const role = await startRole('reference-proxy.mjs', [origin])
    return { base: `http://127.0.0.1:${role.port}`, pid: role.pid, probe: undefined, stop: () => role.stop() }
  }
  const probe = PROBED.has(kind) ? createProbe(kind) : undefined
  const nodeArgs = [
    ...(probe?.options.nodeArgs ?? []),
    ...(options.profile ? ['--cpu-prof', '--cpu-prof-dir', `${RESULTS}profiles`, '--cpu-prof-name', `${kind}-${Date.now()}.cpuprofile`] : []),
  ]
  const metrics = WITH_METRICS.has(kind) ? ['--metrics', String(await freePort())] : []
  const cli = await startQuiet([origin, '--sdk-url', ory, ...PROXY_FLAGS[kind], ...metrics], {
    nodeArgs,
    env: probe?.options.env ?? {},
    quiet: !LOGGING.has(kind),
  })
  return { base: `http://127.0.0.1:${cli.port}`, pid: cli.pid, probe, stop: () => cli.stop() }
}

async function measure(client: Role, measurement: Measurement, target: Target): Promise<Figures> {
  const load = measurement.load(target.base, seconds)
  await target.probe?.read(target.pid!)
  const cpuBefore = target.pid === undefined ? 0 : cpuMicros(target.pid)
  const clientCpuBefore = cpuMicros(client.pid)
  const answer = await client.ask<{ results?: LoadResult[]; error?: string }>(load)
  if (answer.error !== undefined) throw new Error(`${measurement.id}: ${answer.error}`)
  const results = answer.results!
  // A parallel load lists the credentialed requests first and the anonymous ones, whose latency is the figure, last.
  const main = results.at(-1)!
  const requests = results.reduce((sum, result) => sum + result.requests, 0)
  const figures: Figures = {
    rps: main.rps,
    p50: main.p50,
    p99: main.p99,
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    // What the load generator spent: on 2 shared cores a heavy client (HTTP/2) caps every figure.
    clientCpuPerRequest: Math.round((cpuMicros(client.pid) - clientCpuBefore) / requests),
  }
  if (target.pid !== undefined) {
    figures.cpuPerRequest = Math.round((cpuMicros(target.pid) - cpuBefore) / requests)
    figures.rssMB = Math.round(rssBytes(target.pid) / MB)
  }
  if (results.length > 1) {
    figures.signingRps = results[0]!.rps
    figures.signingP99 = results[0]!.p99
  }
  if (target.probe !== undefined) {
    const delay = await target.probe.read(target.pid!)
    figures.loopDelayP99 = delay.p99
    figures.loopDelayMax = delay.max
  }
  return figures
}

function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}

/** Runs the selected scenarios; writes the report under bench/results/ and returns it. */
async function runSuite(): Promise<Report> {
  const selection = select(options.only)
  mkdirSync(`${RESULTS}profiles`, { recursive: true })
  const before = machine()
  console.error(`bench: ${before.cores} cores, ${before.cpu}, Node ${before.node}, load average ${before.loadAverage.join(' ')}`)
  const began = performance.now()
  const origin = await startRole('origin.ts')
  const ory = await startRole('ory.ts')
  const client = await startRole('client.ts')
  const originUrl = `http://127.0.0.1:${origin.port}`
  const oryUrl = `http://127.0.0.1:${ory.port}`
  const results: Record<string, ScenarioResult> = {}
  const targets = new Map<ProxyKind | 'origin', Target>()

  try {
    const direct: Target = { base: originUrl, pid: undefined, probe: undefined, stop: async () => {} }
    targets.set('origin', direct)
    for (const measurement of selection.measurements) {
      const kind = measurement.proxy
      if (kind !== undefined && !targets.has(kind)) targets.set(kind, await startProxy(kind, originUrl, oryUrl))
    }
    const targetOf = (measurement: Measurement) => targets.get(measurement.proxy ?? 'origin')!
    for (const measurement of selection.measurements) {
      const target = targetOf(measurement)
      const warmUp = measurement.warmUp?.(target.base) ?? measurement.load(target.base, 1)
      console.error(`bench: warming up ${measurement.id}`)
      await client.ask(warmUp, 300_000)
    }
    const runs = new Map<string, Figures[]>(selection.measurements.map((m) => [m.id, []]))
    for (let round = 1; round <= rounds; round++) {
      const thisRound = new Map<string, Figures>()
      // Every other round runs backwards (A B C, C B A, …): a scenario that always ran right after a
      // heavy one, or always late in a round, would carry that into every ratio.
      const order = round % 2 === 1 ? selection.measurements : [...selection.measurements].reverse()
      for (const measurement of order) {
        console.error(`bench: round ${round}/${rounds}: ${measurement.id}`)
        if (round > 1 && measurement.rewarmEachRound) await client.ask(measurement.warmUp!(targetOf(measurement).base), 300_000)
        thisRound.set(measurement.id, await measure(client, measurement, targetOf(measurement)))
      }
      for (const measurement of selection.measurements) {
        const figures = thisRound.get(measurement.id)!
        const baseline = measurement.baseline === undefined ? undefined : thisRound.get(measurement.baseline)
        if (baseline !== undefined) {
          figures.ratio = Math.round((figures.rps / baseline.rps) * 1000) / 1000
          figures.addedP50 = Math.round((figures.p50 - baseline.p50) * 1000) / 1000
          figures.addedP99 = Math.round((figures.p99 - baseline.p99) * 1000) / 1000
        }
        runs.get(measurement.id)!.push(figures)
      }
    }
    for (const measurement of selection.measurements) {
      const figures = runs.get(measurement.id)!
      results[measurement.id] = { title: measurement.title, runs: figures, median: medians(figures) }
    }
    for (const target of targets.values()) await target.stop()
    targets.clear()

    if (selection.startup) {
      console.error('bench: start-up')
      const figures = await measureStartup(originUrl, oryUrl, Number(options['startup-runs']))
      results.startup = { title: 'start-up: spawn → first proxied 200 (ms)', runs: figures, median: medians(figures) }
    }
    if (selection.memory) {
      console.error(`bench: memory, ${MEMORY_SESSIONS.toLocaleString('en')} cached sessions`)
      const figures = await measureMemory(client, originUrl, oryUrl, MEMORY_SESSIONS)
      results.memory = { title: `JWT proxy holding ${MEMORY_SESSIONS.toLocaleString('en')} cached sessions`, runs: [figures], median: figures }
    }
  } finally {
    for (const target of targets.values()) await target.stop()
    await Promise.all([origin.stop(), ory.stop(), client.stop()])
  }

  const after = machine()
  const report: Report = {
    date: new Date().toISOString(),
    machine: { ...before, loadAverageAfter: after.loadAverage },
    settings: { rounds, seconds, only: options.only ?? null },
    durationSeconds: Math.round((performance.now() - began) / 1000),
    results,
    verdicts: judge(BUDGET, results),
  }
  const file = `${RESULTS}bench-${report.date.replace(/[:.]/g, '-')}.json`
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  // A profiled run is slower by the profiler's cost: it never stands as the latest figures.
  if (!options.profile) writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`results: ${file}`)
  return report
}

// --latest: judge the last run's figures against the budget as it is now, without measuring.
const report = options.latest ? (JSON.parse(readFileSync(`${RESULTS}latest.json`, 'utf8')) as Report) : await runSuite()
const verdicts = judge(BUDGET, report.results)
printTable({ ...report, verdicts })
if (options.guard) {
  const failed = verdicts.filter((verdict) => verdict.pass === false)
  console.log(failed.length === 0 ? 'bench:guard: every target met' : `bench:guard: ${failed.length} target(s) missed`)
  process.exitCode = failed.length === 0 ? 0 : 1
}
