import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../test/helpers/upstream.js'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface StartedCli {
  /** ms from spawn to the ready line. */
  readonly readyMs: number
  readonly port: number
  /** The proxy's process id: its CPU time and RSS are read from /proc/<pid>. */
  readonly pid: number
  /** SIGTERM, resolved once the process has exited. */
  stop(): Promise<void>
}

export interface QuietOptions {
  /** Another package root's `bin/run.js` (A/B comparisons); default this one's. */
  readonly bin?: string
  /** Node flags before `bin/run.js` (`--import <probe>`, `--cpu-prof`). */
  readonly nodeArgs?: readonly string[]
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * false: without `-q`, so the default request log writes a line per request to the stderr pipe,
   * which is read (and dropped) for as long as the proxy runs.
   */
  readonly quiet?: boolean
}

/** Spawns the built CLI's `start <args> --port <free port> -q` and resolves at its ready line (bounded: 20 s). */
export async function startQuiet(args: readonly string[], options: QuietOptions = {}): Promise<StartedCli> {
  const port = await freePort()
  const quiet = options.quiet ?? true
  const argv = [...(options.nodeArgs ?? []), options.bin ?? BIN, 'start', ...args, '--port', String(port), ...(quiet ? ['-q'] : [])]
  return spawnReady(argv, port, options.env, quiet ? 'ready' : 'listening on port')
}

/**
 * Spawns `node <argv>` (a server that will listen on `port`) and resolves once its stderr says
 * `marker` (bounded: 20 s); rejects if it exits first. Its stderr is read (and dropped) after that.
 */
export async function spawnReady(argv: readonly string[], port: number, env: QuietOptions['env'] = {}, marker = 'ready'): Promise<StartedCli> {
  const began = performance.now()
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${argv.join(' ')}: not ready in 20 s`)), 20_000)
    let seen = ''
    const onData = (data: Buffer) => {
      seen += data.toString()
      if (seen.includes(marker)) {
        clearTimeout(timer)
        child.stderr.off('data', onData)
        child.stderr.on('data', () => {})
        resolve()
      }
    }
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`node ${argv.join(' ')} exited (${code}) before its ready line: ${seen.trim()}`))
    })
  })
  return { readyMs: performance.now() - began, port, pid: child.pid!, stop: () => (child.kill('SIGTERM'), exited) }
}

/** The value below which a fraction `p` of `values` lies (0.5: the median). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}
