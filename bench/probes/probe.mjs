// Preloaded into a proxy under test (node --import): on SIGUSR2 it writes to $BENCH_PROBE_FILE, as
// JSON, the event-loop delay since the previous signal, the longest garbage-collection pause and
// the number of full (mark-compact) collections in that time (then starts over, so the bench reads
// exactly one run's figures) and, when node runs with --expose-gc, the heap in use after a full
// collection (what the live objects cost, without the garbage RSS also holds). Nothing else of
// the proxy changes.
import { writeFileSync } from 'node:fs'
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'

const file = process.env.BENCH_PROBE_FILE
const histogram = monitorEventLoopDelay({ resolution: 5 })
histogram.enable()
let sequence = 0
let gcPauseMax = 0
let fullGcs = 0
/** When the probe's own forced collection ran (not the proxy's: left out). */
let forced = { from: 0, to: 0 }
// A long event-loop stall in one round is a collection or something else: these tell which.
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.startTime >= forced.from && entry.startTime <= forced.to) continue
    gcPauseMax = Math.max(gcPauseMax, entry.duration)
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++
  }
}).observe({ entryTypes: ['gc'] })
process.on('SIGUSR2', () => {
  const ms = (ns) => Math.round(ns / 1e3) / 1e3
  const figures = {
    sequence: ++sequence,
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    gcPauseMax: Math.round(gcPauseMax * 1e3) / 1e3,
    fullGcs,
  }
  histogram.reset()
  gcPauseMax = 0
  fullGcs = 0
  if (typeof globalThis.gc === 'function') {
    const from = performance.now()
    globalThis.gc()
    forced = { from, to: performance.now() }
    figures.heapUsed = process.memoryUsage().heapUsed
  }
  writeFileSync(file, JSON.stringify(figures))
})
