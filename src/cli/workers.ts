import { availableParallelism } from 'node:os'
import { ConfigError } from '../errors.js'
import type { Scheduling } from '../cluster/primary.js'

/** More workers than this is a typo, not a machine. */
const MAX_WORKERS = 256

/** `--workers`: a count from 1, or `auto` for one per CPU this process may use. */
export function parseWorkers(text: string): number {
  if (text === 'auto') return availableParallelism()
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw new ConfigError(`--workers must be a number from 1 to ${MAX_WORKERS} or auto, got "${text}"`)
  }
  return count
}

/**
 * Node's own switch, `NODE_CLUSTER_SCHED_POLICY=rr`, makes the primary hand connections out in
 * turn; otherwise the workers accept them (measured in bench/README.md: the cheaper of the two).
 */
export function schedulingOf(env: Readonly<Record<string, string | undefined>>): Scheduling {
  return env.NODE_CLUSTER_SCHED_POLICY === 'rr' ? 'round-robin' : 'os'
}
