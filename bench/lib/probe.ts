import { readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { QuietOptions } from './cli-process.js'

const PROBE = new URL('../probes/probe.mjs', import.meta.url).href
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))

/**
 * What bench/probes/probe.mjs reports since the last read: event-loop delay and the longest
 * collection pause (ms), full collections, and the heap after a full GC.
 */
export interface ProbeFigures {
  readonly sequence: number
  readonly p99: number
  readonly max: number
  readonly gcPauseMax: number
  readonly fullGcs: number
  readonly heapUsed?: number
}

/** A proxy started with the probe preloaded; `read()` asks it for its figures. */
export interface Probe {
  /** Node flags and environment to start the proxy with. */
  readonly options: QuietOptions
  read(pid: number): Promise<ProbeFigures>
}

/** A probe writing to its own file under bench/results/; `gc` also exposes the collector to it. */
export function createProbe(name: string, gc = false): Probe {
  const file = `${RESULTS}.probe-${name}-${process.pid}.json`
  // A file left by an earlier proxy would carry its sequence numbers.
  rmSync(file, { force: true })
  const current = (): ProbeFigures => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ProbeFigures
    } catch {
      return { sequence: 0, p99: Number.NaN, max: Number.NaN, gcPauseMax: Number.NaN, fullGcs: Number.NaN }
    }
  }
  return {
    options: { nodeArgs: [...(gc ? ['--expose-gc'] : []), '--import', PROBE], env: { BENCH_PROBE_FILE: file } },
    // SIGUSR2, then the file's next sequence number (bounded: 5 s).
    read: async (pid) => {
      const before = current().sequence
      process.kill(pid, 'SIGUSR2')
      const deadline = performance.now() + 5_000
      while (performance.now() < deadline) {
        const figures = current()
        if (figures.sequence > before) return figures
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`the probe in process ${pid} did not answer in 5 s`)
    },
  }
}
