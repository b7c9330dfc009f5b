/** One run's figures, by name (req/s, ms, µs, MB…); every scenario reports what it measures. */
export type Figures = Record<string, number>

/**
 * The middle value, or the mean of the two middle ones for an even count: with 12 rounds the
 * nearest-rank percentile took the upper of the two, which leans a `max` bound towards a miss and a
 * `min` bound towards a pass.
 */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort()
  if (sorted.length === 0) return Number.NaN
  const half = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2
}

/** Field-by-field medians of several runs' figures (a field missing from a run is left out). */
export function medians(runs: readonly Figures[]): Figures {
  const names = new Set(runs.flatMap((run) => Object.keys(run)))
  const result: Figures = {}
  for (const name of names) {
    const values = runs.map((run) => run[name]).filter((value): value is number => value !== undefined && !Number.isNaN(value))
    if (values.length > 0) result[name] = median(values)
  }
  return result
}
