import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/upstream.js'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

export interface StartedCli {
  /** ms from spawn to the ready line. */
  readonly readyMs: number
  readonly port: number
  /** SIGTERM, resolved once the process has exited. */
  stop(): Promise<void>
}

/**
 * Spawns the built CLI's `start <args> --port <free port> -q` and resolves at its ready line
 * (bounded: 20 s). `bin` runs another package root's `bin/run.js` (A/B comparisons).
 */
export async function startQuiet(args: readonly string[], bin = BIN): Promise<StartedCli> {
  const port = await freePort()
  const began = performance.now()
  const child = spawn(process.execPath, [bin, 'start', ...args, '--port', String(port), '-q'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not ready in 20 s')), 20_000)
    child.stderr.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  return { readyMs: performance.now() - began, port, stop: () => (child.kill('SIGTERM'), exited) }
}

/** The value below which a fraction `p` of `values` lies (0.5: the median). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}
