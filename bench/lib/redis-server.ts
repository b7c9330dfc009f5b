import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../test/helpers/upstream.js'

/** A `redis-server` the bench started. */
export interface BenchRedis {
  readonly port: number
  /** `redis://127.0.0.1:<port>/0`, as `--session-store` takes it. */
  readonly url: string
  /** SIGTERM; resolved once it exited and its directory is gone. */
  stop(): Promise<void>
}

/**
 * Starts Debian's `redis-server` (test/ensure-redis.sh installs it) on a free 127.0.0.1 port with
 * persistence off (`--save ''`, no AOF), its working directory a temporary one; resolves once it
 * accepts connections (bounded: 10 s).
 */
export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'ory-proxy-bench-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  // A redis-server that could not be spawned (missing) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => (server.once('exit', () => resolve()), server.once('error', () => resolve())))
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error('redis-server: not ready in 10 s')), 10_000)
      const onData = (data: Buffer) => {
        output += data.toString()
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          server.stdout!.off('data', onData)
          server.stdout!.resume()
          resolve()
        }
      }
      server.stdout!.on('data', onData)
      server.stderr!.resume()
      server.once('error', (error) => (clearTimeout(timer), reject(error)))
      server.once('exit', (code) => (clearTimeout(timer), reject(new Error(`redis-server exited (${code}) before it was ready: ${output}`))))
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { port, url: `redis://127.0.0.1:${port}/0`, stop }
}
