import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { processTree } from './procfs.js'

/**
 * Where `--pin` puts the processes of each round (issue 12's method: "proxy pinned to one core"):
 * the proxy under test alone on the last core, the client, the origin and Ory on the others.
 * Runs that measure what a second core brings (`--workers 2` and what it is compared with) get
 * every core, the bench's roles too.
 */
export interface CorePlan {
  /** The proxy's one core, as taskset's `--cpu-list` takes it. */
  readonly proxy: string
  /** Everything else's. */
  readonly rest: string
  readonly all: string
}

export function corePlan(cores: number = availableParallelism()): CorePlan {
  if (cores < 2) throw new Error(`--pin needs 2 cores or more (one for the proxy, one for the load); this machine has ${cores}`)
  const last = cores - 1
  return { proxy: String(last), rest: last === 1 ? '0' : `0-${last - 1}`, all: `0-${last}` }
}

/**
 * Sets the CPU affinity of every thread of `pid` and of its live descendants (util-linux's
 * `taskset`). Threads and processes started later inherit it from the one that starts them: the
 * client's load generator, a proxy's signing threads.
 */
export function setAffinity(pid: number, cpus: string): void {
  for (const member of processTree(pid)) {
    try {
      execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(member)], { stdio: 'ignore' })
    } catch (error) {
      // A process that exited between the listing and taskset has nothing left to place.
      if (existsSync(`/proc/${member}`)) throw error
    }
  }
}
