// Preloaded into a proxy under test (node --import): on SIGUSR2 it writes to $BENCH_PROBE_FILE, as
// JSON, the event-loop delay since the previous signal (then starts over, so the bench reads
// exactly one run's figures) and, when node runs with --expose-gc, the heap in use after a full
// collection (what the live objects cost, without the garbage RSS also holds). Nothing else of
// the proxy changes.
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const file = process.env.BENCH_PROBE_FILE
const histogram = monitorEventLoopDelay({ resolution: 5 })
histogram.enable()
let sequence = 0
process.on('SIGUSR2', () => {
  const ms = (ns) => Math.round(ns / 1e3) / 1e3
  const figures = { sequence: ++sequence, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }
  histogram.reset()
  if (typeof globalThis.gc === 'function') {
    globalThis.gc()
    figures.heapUsed = process.memoryUsage().heapUsed
  }
  writeFileSync(file, JSON.stringify(figures))
})
