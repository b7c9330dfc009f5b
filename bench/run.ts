/**
 * The benchmark suite: `npm run bench` (everything, under 5 minutes), `npm run bench -- --only
 * <scenario>` (one, with what it is compared against), `npm run bench:guard` (then the budget).
 * Roles are separate processes on 127.0.0.1: origin, Ory, the proxies (the built CLI), the client.
 * Load scenarios run in interleaved rounds after a warm-up; every figure is also put against the
 * direct-to-origin baseline of the same round. Method and latest table: bench/README.md.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { corePlan, setAffinity, type CorePlan } from './lib/affinity.js'
import { failureFigures, judge, scenariosWithErrors, type Check, type ScenarioResult } from './lib/budget.js'
import { startQuiet } from './lib/cli-process.js'
import type { LoadResult } from './lib/load.js'
import { measureMemory } from './lib/memory.js'
import { ensurePeers, startGoProxy, startNginx } from './lib/peers.js'
import { createProbe, type Probe } from './lib/probe.js'
import { acceptedConnections, connectionsByProcess, cpuMicros, machineTicks, processTree, treeContextSwitches, treeCpuMicros, treeRssBytes } from './lib/procfs.js'
import { startRole, type Role } from './lib/roles.js'
import {
  DISTINCT_SESSIONS,
  GROUPS,
  LOGGING,
  MEASUREMENTS,
  PROBED,
  PROXY_ENV,
  PROXY_FLAGS,
  rewarmDelayMs,
  TOKEN_BYTES,
  WITH_METRICS,
  type Measurement,
  type ProxyKind,
} from './lib/scenarios.js'
import { freePort } from '../test/helpers/upstream.js'
import { measureStartup } from './lib/startup.js'
import { medians, type Figures } from './lib/stats.js'
import { printTable, type Failure, type Report } from './lib/table.js'
import { measureWhoamiCalls } from './lib/whoami-calls.js'

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
    // Another build's package root: its start-up is timed beside this one's (bench/README.md).
    before: { type: 'string' },
    guard: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    latest: { type: 'boolean', default: false },
    // Node flags for every ory-proxy under test (space-separated), to try V8 settings against the same run.
    'proxy-node-args': { type: 'string' },
    // Issue 12's method: each proxy alone on one core, the load and the origin on the others.
    pin: { type: 'boolean', default: false },
  },
})
const rounds = Number(options.rounds)
const seconds = Number(options.seconds)
const cores: CorePlan | undefined = options.pin ? corePlan() : undefined

/** Scenarios that are not rounds of load: each runs once, after the rounds. */
const SINGLE_RUNS = ['startup', 'memory', 'whoami', 'level-lookup'] as const
type SingleRun = (typeof SINGLE_RUNS)[number]

/** The measurements and the single runs that `--only` selects, with what they are compared against. */
function select(only: readonly string[] | undefined): { measurements: Measurement[]; single: Set<SingleRun> } {
  const names = (only ?? []).flatMap((name) => name.split(','))
  if (names.length === 0) return { measurements: [...MEASUREMENTS], single: new Set(SINGLE_RUNS) }
  const known = new Set([...MEASUREMENTS.map((m) => m.id), ...Object.keys(GROUPS), ...SINGLE_RUNS])
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
    single: new Set(SINGLE_RUNS.filter((name) => names.includes(name))),
  }
}

interface Target {
  readonly base: string
  readonly port: number
  /**
   * The proxy's process, whose CPU and RSS are read (with every live descendant's: a cluster's
   * workers); undefined for the origin itself.
   */
  readonly pid: number | undefined
  /** The event-loop delay probe, for probed proxies. */
  readonly probe: Probe | undefined
  stop(): Promise<void>
}

/** The minimal Node pass-throughs: the bench role file each runs, and its arguments after the origin. */
const NODE_PEERS = {
  reference: ['reference-proxy.mjs'],
  'reference-2': ['reference-cluster-proxy.mjs'],
  'reference-token': ['reference-proxy.mjs', String(TOKEN_BYTES)],
  dispatch: ['dispatch-proxy.mjs'],
} as const
const isNodePeer = (kind: ProxyKind): kind is keyof typeof NODE_PEERS => kind in NODE_PEERS

async function startTarget(kind: ProxyKind, origin: string, ory: string): Promise<Target> {
  if (isNodePeer(kind) || kind === 'go' || kind === 'nginx') {
    const peer = isNodePeer(kind)
      ? await startRole(NODE_PEERS[kind][0], [origin, ...NODE_PEERS[kind].slice(1)])
      : kind === 'go'
        ? // Go sizes its scheduler (GOMAXPROCS) to the cores it may use when it starts; pinned, that is one.
          await startGoProxy(origin, cores === undefined ? {} : { GOMAXPROCS: '1' })
        : await startNginx(origin)
    return { base: `http://127.0.0.1:${peer.port}`, port: peer.port, pid: peer.pid, probe: undefined, stop: () => peer.stop() }
  }
  const probe = PROBED.has(kind) ? createProbe(kind) : undefined
  const nodeArgs = [
    ...(options['proxy-node-args']?.split(' ').filter(Boolean) ?? []),
    ...(probe?.options.nodeArgs ?? []),
    ...(options.profile ? ['--cpu-prof', '--cpu-prof-dir', `${RESULTS}profiles`, '--cpu-prof-name', `${kind}-${Date.now()}.cpuprofile`] : []),
  ]
  const metrics = WITH_METRICS.has(kind) ? ['--metrics', String(await freePort())] : []
  const cli = await startQuiet([origin, '--sdk-url', ory, ...PROXY_FLAGS[kind], ...metrics], {
    nodeArgs,
    env: { ...probe?.options.env, ...PROXY_ENV[kind] },
    quiet: !LOGGING.has(kind),
  })
  return { base: `http://127.0.0.1:${cli.port}`, port: cli.port, pid: cli.pid, probe, stop: () => cli.stop() }
}

/** The client connections each worker of a cluster holds now, busiest first, and the primary's. */
function split(target: Target): { workers: number[]; primary: number } {
  const [primary, ...workers] = processTree(target.pid!)
  const [own, ...each] = connectionsByProcess(target.port, [primary!, ...workers])
  return { workers: each.sort((a, b) => b - a), primary: own! }
}

/**
 * `--pin`: the proxy of `measurement` alone on its core and the bench's roles (whose load generator
 * and origin it starts later inherit it) on the others; every core for a run that measures a
 * second one.
 */
function place(plan: CorePlan, measurement: Measurement, target: Target, roles: readonly Role[]): void {
  const shared = measurement.allCores === true
  for (const role of roles) setAffinity(role.pid, shared ? plan.all : plan.rest)
  if (target.pid !== undefined) setAffinity(target.pid, shared ? plan.all : plan.proxy)
}

/** Warms `measurement`'s cached sessions again, once their tokens cannot come due in the round (`rewarmDelayMs`). */
async function rewarm(client: Role, measurement: Measurement, target: Target, warmedAt: Map<string, number>): Promise<void> {
  const delay = rewarmDelayMs(performance.now() - warmedAt.get(measurement.id)!, seconds)
  if (delay > 0) {
    console.error(`bench: ${measurement.id}: waiting ${Math.ceil(delay / 1000)} s for its tokens to expire`)
    await sleep(delay)
  }
  await client.ask(measurement.warmUp!(target.base), 300_000)
  warmedAt.set(measurement.id, performance.now())
}

/** A figure rounded to tenths. */
const tenths = (value: number) => Math.round(value * 10) / 10

/** The origin's count of accepted connections and requests. */
const originCounts = (origin: Role) => origin.ask<{ connections: number; requests: number }>({})

async function measure(roles: { client: Role; origin: Role }, measurement: Measurement, target: Target): Promise<Figures> {
  const { client, origin } = roles
  const load = measurement.load(target.base, seconds)
  await target.probe?.read(target.pid!)
  const appBefore = await originCounts(origin)
  const cpuBefore = target.pid === undefined ? 0 : treeCpuMicros(target.pid)
  const primaryCpuBefore = target.pid === undefined ? 0 : cpuMicros(target.pid)
  const switchesBefore = target.pid === undefined ? 0 : treeContextSwitches(target.pid)
  const clientCpuBefore = cpuMicros(client.pid)
  const originCpuBefore = cpuMicros(origin.pid)
  const ticksBefore = machineTicks()
  const acceptedBefore = acceptedConnections()
  // A cluster's connections per worker: just after the client opened its 50 at once, and near the end.
  const samples: Array<ReturnType<typeof split>> = []
  const timers = measurement.connectionSplit
    ? [250, seconds * 1000 - 500].map((ms) => setTimeout(() => samples.push(split(target)), ms))
    : []
  const answer = await client.ask<{ results?: LoadResult[]; error?: string }>(load)
  for (const timer of timers) clearTimeout(timer)
  const ticksAfter = machineTicks()
  const accepted = acceptedConnections() - acceptedBefore
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
    ...failureFigures(results),
    // What the load generator spent: on 2 shared cores a heavy client (HTTP/2) caps every figure.
    clientCpuPerRequest: Math.round((cpuMicros(client.pid) - clientCpuBefore) / requests),
    originCpuPerRequest: Math.round((cpuMicros(origin.pid) - originCpuBefore) / requests),
    // Of both cores, how busy the machine was (everything on it, not only the bench): 100 = no idle time.
    machineBusyPercent: Math.round(((ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total)) * 100),
  }
  // Connections accepted on the machine during the load, whoever accepted them: for a keep-alive run
  // the client's 50 and a proxy's own to the origin, more when a cluster sheds connections to
  // balance them, and anything else running on the machine.
  figures.connectionsAccepted = accepted
  const appAfter = await originCounts(origin)
  // 1 when every request reached the origin on a connection of its own; near 0 on kept-alive ones.
  figures.appConnectionsPerRequest = Math.round(((appAfter.connections - appBefore.connections) / (appAfter.requests - appBefore.requests)) * 1000) / 1000
  if (target.pid !== undefined) {
    // In tenths of a µs: /proc's 10 ms ticks over a round resolve about 0.1 µs a request, and whole
    // µs alone (1.7 % of a 30 µs request) would move a ratio checked against a 5 % bound.
    figures.cpuPerRequest = tenths((treeCpuMicros(target.pid) - cpuBefore) / requests)
    figures.rssMB = Math.round(treeRssBytes(target.pid) / MB)
    // How often the proxy's event loops went to sleep or were preempted: the fewer requests each
    // wake-up serves, the more each request pays for epoll and the switch.
    figures.switchesPerRequest = Math.round(((treeContextSwitches(target.pid) - switchesBefore) / requests) * 1000) / 1000
    if (processTree(target.pid).length > 1) figures.primaryCpuPerRequest = tenths((cpuMicros(target.pid) - primaryCpuBefore) / requests)
  }
  if (samples.length === 2) {
    const [early, late] = samples as [ReturnType<typeof split>, ReturnType<typeof split>]
    Object.assign(figures, {
      splitEarlyHigh: early.workers[0]!,
      splitEarlyLow: early.workers.at(-1)!,
      splitHigh: late.workers[0]!,
      splitLow: late.workers.at(-1)!,
      splitPrimary: late.primary,
    })
  }
  if (results.length > 1) {
    figures.signingRps = results[0]!.rps
    figures.signingP99 = results[0]!.p99
  }
  if (target.probe !== undefined) {
    const delay = await target.probe.read(target.pid!)
    figures.loopDelayP99 = delay.p99
    figures.loopDelayMax = delay.max
    figures.gcPauseMax = delay.gcPauseMax
    figures.fullGcs = delay.fullGcs
  }
  return figures
}

/** bench/level-lookup.ts as its own process (it forks a cluster worker), its one JSON line. */
async function measureLevelLookup(): Promise<Figures> {
  const program = fileURLToPath(new URL('level-lookup.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', program, '--json'], { timeout: 180_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures
}

function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}

/**
 * Runs `run`; if it throws (a load that timed out, a proxy that died), records the failure and
 * goes on, so one scenario does not lose the rest of a long run. The guard fails on any failure.
 */
async function recording(failures: Failure[], scenario: string, round: number | undefined, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (error) {
    const message = (error as Error).message
    failures.push({ scenario, round, message })
    console.error(`bench: ${scenario}${round === undefined ? '' : ` (round ${round})`} failed: ${message}`)
  }
}

/** Runs the selected scenarios; writes the report under bench/results/ and returns it. */
async function runSuite(): Promise<Report> {
  const selection = select(options.only)
  mkdirSync(`${RESULTS}profiles`, { recursive: true })
  const before = machine()
  console.error(`bench: ${before.cores} cores, ${before.cpu}, Node ${before.node}, load average ${before.loadAverage.join(' ')}`)
  const began = performance.now()
  const peers = (m: Measurement) => m.proxy === 'go' || m.proxy === 'nginx' || (m.load('', 1) as { client?: string }).client === 'wrk'
  if (selection.measurements.some(peers)) ensurePeers()
  const origin = await startRole('origin.ts')
  const ory = await startRole('ory.ts')
  const client = await startRole('client.ts')
  const originUrl = `http://127.0.0.1:${origin.port}`
  const oryUrl = `http://127.0.0.1:${ory.port}`
  const results: Record<string, ScenarioResult> = {}
  const failures: Failure[] = []
  const targets = new Map<ProxyKind | 'origin', Target>()

  try {
    const direct: Target = { base: originUrl, port: origin.port, pid: undefined, probe: undefined, stop: async () => {} }
    targets.set('origin', direct)
    for (const measurement of selection.measurements) {
      const kind = measurement.proxy
      if (kind !== undefined && !targets.has(kind)) targets.set(kind, await startTarget(kind, originUrl, oryUrl))
    }
    const targetOf = (measurement: Measurement) => targets.get(measurement.proxy ?? 'origin')!
    const warmedAt = new Map<string, number>()
    for (const measurement of selection.measurements) {
      const target = targetOf(measurement)
      const warmUp = measurement.warmUp?.(target.base) ?? measurement.load(target.base, 1)
      console.error(`bench: warming up ${measurement.id}`)
      await client.ask(warmUp, 300_000)
      warmedAt.set(measurement.id, performance.now())
    }
    const runs = new Map<string, Figures[]>(selection.measurements.map((m) => [m.id, []]))
    for (let round = 1; round <= rounds; round++) {
      const thisRound = new Map<string, Figures>()
      // Every other round runs backwards (A B C, C B A, …): a scenario that always ran right after a
      // heavy one, or always late in a round, would carry that into every ratio.
      const order = round % 2 === 1 ? selection.measurements : [...selection.measurements].reverse()
      for (const measurement of order) {
        console.error(`bench: round ${round}/${rounds}: ${measurement.id}`)
        await recording(failures, measurement.id, round, async () => {
          if (cores !== undefined) place(cores, measurement, targetOf(measurement), [origin, ory, client])
          if (measurement.rewarmEachRound) await rewarm(client, measurement, targetOf(measurement), warmedAt)
          thisRound.set(measurement.id, await measure({ client, origin }, measurement, targetOf(measurement)))
        })
      }
      for (const measurement of selection.measurements) {
        const figures = thisRound.get(measurement.id)
        if (figures === undefined) continue
        const baseline = measurement.baseline === undefined ? undefined : thisRound.get(measurement.baseline)
        if (baseline !== undefined) {
          figures.ratio = Math.round((figures.rps / baseline.rps) * 1000) / 1000
          figures.addedP50 = Math.round((figures.p50 - baseline.p50) * 1000) / 1000
          figures.addedP99 = Math.round((figures.p99 - baseline.p99) * 1000) / 1000
        }
        const cpuBaseline = measurement.cpuBaseline === undefined ? undefined : thisRound.get(measurement.cpuBaseline)
        if (cpuBaseline?.cpuPerRequest !== undefined && figures.cpuPerRequest !== undefined) {
          figures.cpuRatio = Math.round((figures.cpuPerRequest / cpuBaseline.cpuPerRequest) * 1000) / 1000
        }
        runs.get(measurement.id)!.push(figures)
      }
    }
    for (const measurement of selection.measurements) {
      const figures = runs.get(measurement.id)!
      if (figures.length > 0) results[measurement.id] = { title: measurement.title, runs: figures, median: medians(figures) }
    }
    for (const target of targets.values()) await target.stop()
    targets.clear()
    if (cores !== undefined) for (const role of [origin, ory, client]) setAffinity(role.pid, cores.all)

    if (selection.single.has('whoami')) {
      console.error(`bench: whoami calls, ${DISTINCT_SESSIONS.toLocaleString('en')} sessions through --workers 2, then two proxies sharing Redis`)
      await recording(failures, 'whoami', undefined, async () => {
        const figures = await measureWhoamiCalls(client, ory, originUrl, oryUrl, DISTINCT_SESSIONS)
        results.whoami = { title: `whoami calls for ${DISTINCT_SESSIONS.toLocaleString('en')} distinct sessions`, runs: [figures], median: figures }
      })
    }
    if (selection.single.has('level-lookup')) {
      console.error('bench: one second-level lookup (IPC, Redis)')
      await recording(failures, 'level-lookup', undefined, async () => {
        const figures = await measureLevelLookup()
        results['level-lookup'] = { title: 'one second-level lookup from a cluster worker (µs)', runs: [figures], median: figures }
      })
    }
    if (selection.single.has('startup')) {
      console.error(`bench: start-up${options.before === undefined ? '' : `, beside ${options.before}`}`)
      await recording(failures, 'startup', undefined, async () => {
        const figures = await measureStartup(originUrl, oryUrl, Number(options['startup-runs']), options.before)
        results.startup = { title: 'start-up: spawn → first proxied 200 (ms)', runs: figures, median: medians(figures) }
      })
    }
    if (selection.single.has('memory')) {
      console.error(`bench: memory, ${MEMORY_SESSIONS.toLocaleString('en')} cached sessions`)
      await recording(failures, 'memory', undefined, async () => {
        const figures = await measureMemory(client, origin, originUrl, oryUrl, MEMORY_SESSIONS)
        results.memory = { title: `JWT proxy holding ${MEMORY_SESSIONS.toLocaleString('en')} cached sessions`, runs: [figures], median: figures }
      })
    }
  } finally {
    for (const target of targets.values()) await target.stop()
    await Promise.all([origin.stop(), ory.stop(), client.stop()])
  }

  const after = machine()
  const report: Report = {
    date: new Date().toISOString(),
    machine: { ...before, loadAverageAfter: after.loadAverage },
    settings: { rounds, seconds, only: options.only ?? null, pinned: cores !== undefined },
    durationSeconds: Math.round((performance.now() - began) / 1000),
    results,
    failures,
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
  // Reports from before failures were recorded have none.
  const failures = report.failures ?? []
  for (const { scenario, round, message } of failures) console.log(`bench:guard: ${scenario}${round === undefined ? '' : ` (round ${round})`} failed: ${message}`)
  const errored = scenariosWithErrors(report.results)
  for (const { scenario, errors, kinds } of errored) {
    const what = Object.entries(kinds).map(([kind, count]) => `${kind} ×${count}`)
    console.log(`bench:guard: ${scenario}: ${errors} failed request(s)${what.length === 0 ? '' : ` (${what.join(', ')})`}`)
  }
  const clean = failed.length === 0 && failures.length === 0 && errored.length === 0
  console.log(
    clean
      ? 'bench:guard: every target met'
      : `bench:guard: ${failed.length} target(s) missed, ${failures.length} run(s) failed, ${errored.length} scenario(s) with failed requests`,
  )
  process.exitCode = clean ? 0 : 1
}
