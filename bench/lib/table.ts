import type { ScenarioResult, Verdict } from './budget.js'

/** One bench run as written to bench/results/. */
/** A scenario run that threw (a load that timed out, a proxy that died): its figures are missing. */
export interface Failure {
  readonly scenario: string
  /** Undefined for the runs that are not rounds (start-up, memory, …). */
  readonly round: number | undefined
  readonly message: string
}

export interface Report {
  readonly date: string
  readonly machine: { cores: number; cpu: string; node: string; loadAverage: number[]; loadAverageAfter: number[] }
  readonly settings: { rounds: number; seconds: number; only: readonly string[] | null; pinned?: boolean }
  readonly durationSeconds: number
  readonly results: Readonly<Record<string, ScenarioResult>>
  /** Absent in reports written before failures were recorded. */
  readonly failures?: readonly Failure[]
  readonly verdicts: readonly Verdict[]
}

const show = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '—' : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Extra figures some scenarios have, in words. */
function notes(median: Readonly<Record<string, number>>): string {
  const parts: string[] = []
  if (median.signingRps !== undefined) parts.push(`credentialed ${show(median.signingRps)} req/s, p99 ${show(median.signingP99, 2)} ms`)
  if (median.loopDelayP99 !== undefined) parts.push(`event-loop delay p99 ${show(median.loopDelayP99, 1)} ms, max ${show(median.loopDelayMax, 1)} ms`)
  if (median.gcPauseMax !== undefined) parts.push(`longest GC pause ${show(median.gcPauseMax, 1)} ms, ${show(median.fullGcs)} full GCs`)
  return parts.join('; ')
}

/** The issue-11 rows (one process against two workers, both schedulings, and the minimal pass-through's floor of the same), in this order, when measured. */
const CLUSTER_ROWS = ['direct-loop', 'workers-1', 'workers-2', 'workers-2-rr', 'reference-loop-1', 'reference-loop-2', 'close-direct', 'close-workers-1', 'close-workers-2', 'close-workers-2-rr']

/** One process against `--workers 2`: CPU of every process, where the CPU went, how the connections split. */
function printCluster(results: Report['results']): void {
  const rows = CLUSTER_ROWS.filter((id) => results[id] !== undefined)
  if (!rows.some((id) => id.includes('workers'))) return
  console.log(
    '\n| scenario | req/s | p50 ms | p99 ms | proxy CPU µs/req, all processes | primary µs/req | CPU × one process | proxy context switches/req | client µs/req | origin µs/req | machine busy % | connections per worker at 0.25 s | at the end | errors |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const id of rows) {
    const m = results[id]!.median
    const splitAt = (high: number | undefined, low: number | undefined) => (high === undefined ? '—' : `${show(high)}/${show(low)}`)
    console.log(
      `| ${id} | ${show(m.rps)} | ${show(m.p50, 2)} | ${show(m.p99, 2)} | ${show(m.cpuPerRequest)} | ${show(m.primaryCpuPerRequest)} | ${show(m.cpuRatio, 2)} | ${show(m.switchesPerRequest, 2)} | ` +
        `${show(m.clientCpuPerRequest)} | ${show(m.originCpuPerRequest)} | ${show(m.machineBusyPercent)} | ${splitAt(m.splitEarlyHigh, m.splitEarlyLow)} | ` +
        `${splitAt(m.splitHigh, m.splitLow)} | ${show(m.errors)} |`,
    )
  }
  const check = results['close-direct']?.median.appConnectionsPerRequest
  if (check !== undefined) console.log(`\nnew connection per request: the origin accepted ${show(check, 3)} connections per request it answered (close-direct)`)
}

/** Prints the run as Markdown: the machine, the load table (medians), start-up, memory, the budget. */
export function printTable(report: Report): void {
  const { machine, results } = report
  console.log(
    `\n${report.date}: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load average ${machine.loadAverage.join(' ')} before, ` +
      `${machine.loadAverageAfter.join(' ')} after; medians of ${report.settings.rounds} interleaved rounds of ${report.settings.seconds} s;${report.settings.pinned === true ? ' each proxy pinned to one core (--pin);' : ''} ${report.durationSeconds} s in all\n`,
  )
  console.log('| scenario | req/s | × baseline | p50 ms | p99 ms | +p50 ms | +p99 ms | proxy CPU µs/req | client CPU µs/req | RSS MB | errors | notes |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const [id, { median }] of Object.entries(results)) {
    if (median.rps === undefined) continue // start-up, memory, whoami, level-lookup: printed below
    console.log(
      `| ${id} | ${show(median.rps)} | ${show(median.ratio, 2)} | ${show(median.p50, 2)} | ${show(median.p99, 2)} | ` +
        `${show(median.addedP50, 2)} | ${show(median.addedP99, 2)} | ${show(median.cpuPerRequest, 1)} | ${show(median.clientCpuPerRequest)} | ${show(median.rssMB)} | ${show(median.errors)} | ${notes(median)} |`,
    )
  }
  printCluster(results)
  const startup = results.startup?.median
  if (startup !== undefined) {
    const before = startup.beforeNoJwtMs === undefined ? '' : ` (before: --no-jwt ${show(startup.beforeNoJwtMs)} ms, JWT ${show(startup.beforeJwtMs)} ms)`
    console.log(
      `\nstart-up, spawn → first proxied 200, median of ${results.startup!.runs.length}: bare node ${show(startup.bareMs)} ms, ` +
        `the smallest oclif CLI ${show(startup.oclifFloorMs)} ms, ` +
        `--workers 1 --no-jwt ${show(startup.noJwtMs)} ms, JWT ${show(startup.jwtMs)} ms${before}; ` +
        `--workers 2 --no-jwt ${show(startup.workers2NoJwtMs)} ms, JWT ${show(startup.workers2JwtMs)} ms`,
    )
  }
  const whoami = results.whoami?.median
  if (whoami !== undefined) {
    console.log(
      `whoami calls, ${show(whoami.sessions)} distinct sessions each asked ${show(whoami.asksPerSession)} times: --workers 2 ${show(whoami.workersCalls)} ` +
        `(${show(whoami.workersErrors)} errors; worker CPU ${show(whoami.workersCpuMsHigh)}/${show(whoami.workersCpuMsLow)} ms), ` +
        `two proxies sharing Redis ${show(whoami.redisCalls)} (${show(whoami.redisErrors)} errors)`,
    )
  }
  const lookup = results['level-lookup']?.median
  if (lookup !== undefined) {
    const pair = (name: string) => `${show(lookup[`${name}P50`], 0)}/${show(lookup[`${name}P99`], 0)}`
    console.log(
      `one second-level lookup, p50/p99 µs: IPC claim ${pair('ipcClaim')}, peek ${pair('ipcPeek')}, absent key ${pair('ipcAbsent')}; ` +
        `Redis claim ${pair('redisClaim')}, peek ${pair('redisPeek')}, bare GET ${pair('redisGet')}`,
    )
  }
  const memory = results.memory?.median
  if (memory !== undefined) {
    console.log(
      `memory: RSS ${show(memory.rssMB)} MB right after caching the sessions (${show(memory.baselineRssMB)} MB before), ` +
        `${show(memory.bytesPerEntry)} bytes per entry (${show(memory.fillBytesPerTokenByte, 2)}× the token); settled (${show(memory.settleSeconds)} s later) ` +
        `${show(memory.settledRssMB)} MB, ${show(memory.settledBytesPerEntry)} bytes per entry, ${show(memory.bytesPerTokenByte, 2)}× the token of ` +
        `${show(memory.tokenBytes)} bytes; live heap after a full GC ${show(memory.heapMB)} MB, ${show(memory.heapBytesPerEntry)} bytes per entry; ` +
        `filled in ${show(memory.seconds, 1)} s, ${show(memory.errors)} errors`,
    )
  }
  console.log('\n| target | value | bound | met | rounds that met it (their range) |\n|---|---:|---:|---|---|')
  for (const verdict of report.verdicts) {
    const met = verdict.pass === undefined ? 'not measured' : verdict.pass ? 'yes' : '**no**'
    console.log(`| ${verdict.name} | ${show(verdict.value, 3)} | ${verdict.bound} | ${met} | ${roundsOf(verdict)} |`)
  }
}

/** `3 of 5 (0.771–1.290)`: how many rounds met the bound, and the lowest and highest round. */
function roundsOf({ rounds, roundsMet }: Verdict): string {
  if (rounds === undefined || roundsMet === undefined) return ''
  return `${roundsMet} of ${rounds.length} (${show(Math.min(...rounds), 3)}–${show(Math.max(...rounds), 3)})`
}
