import type { LoadResult } from './load.js'
import { median, type Figures } from './stats.js'

/** Every run of one scenario in one bench run, and their medians. */
export interface ScenarioResult {
  readonly title: string
  readonly runs: readonly Figures[]
  readonly median: Figures
}

/**
 * One target of `bench/budget.json`: a figure (`scenario.field`), a ratio or a difference of two,
 * with a bound. Ratios and differences are taken round by round (both sides measured in the same
 * round) and their median is checked, so drift in the machine's load cancels out. A ratio `over`
 * two more figures is divided by theirs: ours against a floor that pays the same inherent cost.
 */
export interface Check {
  readonly name: string
  readonly value?: string
  readonly ratio?: readonly [string, string]
  readonly over?: readonly [string, string]
  readonly difference?: readonly [string, string]
  readonly max?: number
  readonly min?: number
}

export interface Verdict {
  readonly name: string
  /** Undefined when a scenario it needs was not run (`--only`). */
  readonly value: number | undefined
  readonly bound: string
  readonly pass: boolean | undefined
  /**
   * The value of each round, when the check is taken round by round: how many rounds met the bound
   * tells a miss by every round from one the machine's noise decided (bench/README.md: The budget).
   */
  readonly rounds?: readonly number[] | undefined
  /** Of {@link rounds}, how many met the bound. */
  readonly roundsMet?: number | undefined
}

function series(results: Readonly<Record<string, ScenarioResult>>, path: string): number[] | undefined {
  const dot = path.lastIndexOf('.')
  const runs = results[path.slice(0, dot)]?.runs
  if (runs === undefined) return undefined
  const field = path.slice(dot + 1)
  const values = runs.map((run) => run[field]!)
  // A figure only some runs measure (start-up beside another build: --before) is "not measured" when absent.
  if (values.every((value) => value === undefined)) return undefined
  if (values.some((value) => value === undefined)) throw new Error(`budget: no figure ${path}`)
  return values
}

/**
 * `op` of the series: round by round when all have the same rounds (the median of those, and each
 * round's value), else of their medians.
 */
function combine(series: number[][], op: (values: number[]) => number): { value: number; rounds?: number[] } {
  const rounds = series[0]!.length
  if (series.every((values) => values.length === rounds)) {
    const each = series[0]!.map((_, i) => op(series.map((values) => values[i]!)))
    return { value: median(each), rounds: each }
  }
  return { value: op(series.map(median)) }
}

const quotient = ([a, b, c, d]: number[]) => (c === undefined ? a! / b! : a! / b! / (c / d!))
const difference = ([a, b]: number[]) => a! - b!

/** Evaluates every check against one bench run's results. */
export function judge(checks: readonly Check[], results: Readonly<Record<string, ScenarioResult>>): Verdict[] {
  return checks.map((check) => {
    const bound =
      check.max !== undefined && check.min !== undefined
        ? check.max === check.min
          ? `= ${check.max}`
          : `${check.min}–${check.max}`
        : check.max !== undefined
          ? `≤ ${check.max}`
          : `≥ ${check.min}`
    const within = (value: number) => (check.max === undefined || value <= check.max) && (check.min === undefined || value >= check.min)
    let value: number | undefined
    let rounds: number[] | undefined
    if (check.value !== undefined) {
      const values = series(results, check.value)
      value = values && median(values)
    } else {
      const paths = [...(check.ratio ?? check.difference)!, ...(check.over ?? [])]
      const all = paths.map((path) => series(results, path))
      if (all.every((values) => values !== undefined)) ({ value, rounds } = combine(all as number[][], check.ratio ? quotient : difference))
    }
    if (value === undefined) return { name: check.name, value, bound, pass: undefined }
    if (rounds === undefined || rounds.length < 2) return { name: check.name, value, bound, pass: within(value) }
    return { name: check.name, value, bound, pass: within(value), rounds, roundsMet: rounds.filter(within).length }
  })
}

/** The figures that count failed requests: a load's, and the whoami run's two. */
const ERROR_FIELDS = ['errors', 'workersErrors', 'redisErrors'] as const

/** A load's failed requests of one kind are kept in its figures as `failed: <kind>` (`failed: HTTP 503`). */
const FAILED = 'failed: '

/** The figures of a load's failed requests by kind, summed over its parts (a parallel load has several). */
export function failureFigures(results: readonly LoadResult[]): Figures {
  const figures: Figures = {}
  for (const { failures } of results) {
    for (const [kind, count] of Object.entries(failures)) figures[FAILED + kind] = (figures[FAILED + kind] ?? 0) + count
  }
  return figures
}

/**
 * Scenarios whose runs saw failed requests (socket errors, timeouts, non-2xx answers), with how
 * many and what they were: their other figures describe a target that was failing, so the guard
 * does not take them.
 */
export function scenariosWithErrors(
  results: Readonly<Record<string, ScenarioResult>>,
): { scenario: string; errors: number; kinds: Record<string, number> }[] {
  return Object.entries(results).flatMap(([scenario, { runs }]) => {
    const errors = runs.reduce((sum, run) => sum + ERROR_FIELDS.reduce((n, field) => n + (run[field] ?? 0), 0), 0)
    const kinds: Record<string, number> = {}
    for (const run of runs) {
      for (const [field, count] of Object.entries(run)) {
        if (!field.startsWith(FAILED)) continue
        const kind = field.slice(FAILED.length)
        kinds[kind] = (kinds[kind] ?? 0) + count
      }
    }
    return errors > 0 ? [{ scenario, errors, kinds }] : []
  })
}
