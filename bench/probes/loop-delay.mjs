// Preloaded into a proxy under test (node --import): samples its event-loop delay. On SIGUSR2 it
// writes the delay since the previous signal to $BENCH_LOOP_DELAY_FILE as JSON and starts over,
// so the bench reads exactly one run's figures. Nothing else of the proxy changes.
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const file = process.env.BENCH_LOOP_DELAY_FILE
const histogram = monitorEventLoopDelay({ resolution: 5 })
histogram.enable()
let sequence = 0
process.on('SIGUSR2', () => {
  const ms = (ns) => Math.round(ns / 1e3) / 1e3
  const figures = { sequence: ++sequence, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }
  histogram.reset()
  writeFileSync(file, JSON.stringify(figures))
})
