import type { ScenarioResult, Verdict } from './budget.js'

/** One bench run as written to bench/results/. */
export interface Report {
  readonly date: string
  readonly machine: { cores: number; cpu: string; node: string; loadAverage: number[]; loadAverageAfter: number[] }
  readonly settings: { rounds: number; seconds: number; only: readonly string[] | null }
  readonly durationSeconds: number
  readonly results: Readonly<Record<string, ScenarioResult>>
  readonly verdicts: readonly Verdict[]
}

const show = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '—' : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Extra figures some scenarios have, in words. */
function notes(median: Readonly<Record<string, number>>): string {
  const parts: string[] = []
  if (median.signingRps !== undefined) parts.push(`credentialed ${show(median.signingRps)} req/s, p99 ${show(median.signingP99, 2)} ms`)
  if (median.loopDelayP99 !== undefined) parts.push(`event-loop delay p99 ${show(median.loopDelayP99, 1)} ms, max ${show(median.loopDelayMax, 1)} ms`)
  return parts.join('; ')
}

/** Prints the run as Markdown: the machine, the load table (medians), start-up, memory, the budget. */
export function printTable(report: Report): void {
  const { machine, results } = report
  console.log(
    `\n${report.date}: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load average ${machine.loadAverage.join(' ')} before, ` +
      `${machine.loadAverageAfter.join(' ')} after; medians of ${report.settings.rounds} interleaved rounds of ${report.settings.seconds} s; ${report.durationSeconds} s in all\n`,
  )
  console.log('| scenario | req/s | × baseline | p50 ms | p99 ms | +p50 ms | +p99 ms | proxy CPU µs/req | client CPU µs/req | RSS MB | errors | notes |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const [id, { median }] of Object.entries(results)) {
    if (id === 'startup' || id === 'memory') continue
    console.log(
      `| ${id} | ${show(median.rps)} | ${show(median.ratio, 2)} | ${show(median.p50, 2)} | ${show(median.p99, 2)} | ` +
        `${show(median.addedP50, 2)} | ${show(median.addedP99, 2)} | ${show(median.cpuPerRequest)} | ${show(median.clientCpuPerRequest)} | ${show(median.rssMB)} | ${show(median.errors)} | ${notes(median)} |`,
    )
  }
  const startup = results.startup?.median
  if (startup !== undefined) {
    console.log(
      `\nstart-up, spawn → first proxied 200, median of ${results.startup!.runs.length}: bare node ${show(startup.bareMs)} ms, ` +
        `--no-jwt ${show(startup.noJwtMs)} ms, JWT ${show(startup.jwtMs)} ms`,
    )
  }
  const memory = results.memory?.median
  if (memory !== undefined) {
    console.log(
      `memory: RSS ${show(memory.rssMB)} MB with the sessions cached (${show(memory.baselineRssMB)} MB before), ` +
        `${show(memory.bytesPerEntry)} bytes per entry; live heap after a full GC ${show(memory.heapMB)} MB, ` +
        `${show(memory.heapBytesPerEntry)} bytes per entry; filled in ${show(memory.seconds, 1)} s, ${show(memory.errors)} errors`,
    )
  }
  console.log('\n| target | value | bound | met |\n|---|---:|---:|---|')
  for (const verdict of report.verdicts) {
    const met = verdict.pass === undefined ? 'not measured' : verdict.pass ? 'yes' : '**no**'
    console.log(`| ${verdict.name} | ${show(verdict.value, 3)} | ${verdict.bound} | ${met} |`)
  }
}
