import { percentile } from './cli-process.js'

/** One run's figures, by name (req/s, ms, µs, MB…); every scenario reports what it measures. */
export type Figures = Record<string, number>

/** Field-by-field medians of several runs' figures (a field missing from a run is left out). */
export function medians(runs: readonly Figures[]): Figures {
  const names = new Set(runs.flatMap((run) => Object.keys(run)))
  const median: Figures = {}
  for (const name of names) {
    const values = runs.map((run) => run[name]).filter((value): value is number => value !== undefined && !Number.isNaN(value))
    if (values.length > 0) median[name] = percentile(values, 0.5)
  }
  return median
}
