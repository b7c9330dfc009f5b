// Preloaded (`--import`) into a CLI under test: writes `full-gc <pid>` to stderr after each full
// (mark-compact) collection of the process, cluster workers included (they inherit --import).
import { writeSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) writeSync(2, `full-gc ${process.pid}\n`)
}).observe({ entryTypes: ['gc'] })
