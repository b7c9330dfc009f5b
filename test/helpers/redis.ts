import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { tempDir } from './temp-dir.js'
import { freePort } from './upstream.js'

export interface RedisServer {
  readonly port: number
  /** `redis://[:password@]127.0.0.1:<port>/0`, or `rediss://[:password@]localhost:<port>/0` with TLS. */
  readonly url: string
  /** Stops the server (SIGTERM) and resolves once it exited; the port stays reserved for `start`. */
  stop(): Promise<void>
  /** Starts it again on the same port (empty: nothing is persisted). */
  start(): Promise<void>
  /** Freezes the server (SIGSTOP): connected, answering nothing, as a hung Redis. */
  pause(): void
  /** Lets a paused server go on (SIGCONT). */
  resume(): void
  /** A client of the test's own (closed after the test), for looking at what the proxies stored. */
  client(): Redis
}

export interface RedisServerOptions {
  /** `--requirepass`. */
  readonly password?: string
  /** Serve TLS only (`--tls-port`, no plain port) with this certificate; clients need no certificate. */
  readonly tls?: { readonly cert: string; readonly key: string }
}

/**
 * A real `redis-server` on a free 127.0.0.1 port with persistence off (`--save ''`, no AOF), its
 * files in a temporary directory; ready once it says it accepts connections; stopped after the test.
 * test/ensure-redis.sh installs Debian's redis-server when it is missing.
 */
export async function startRedis(t: TestContext, options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort()
  const dir = tempDir(t, 'ory-proxy-redis-')
  let child: ChildProcess | undefined
  const clients: Redis[] = []

  const start = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
    if (options.tls === undefined) args.push('--port', String(port))
    else {
      writeFileSync(join(dir, 'cert.pem'), options.tls.cert)
      writeFileSync(join(dir, 'key.pem'), options.tls.key)
      args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', join(dir, 'cert.pem'), '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no')
    }
    if (options.password !== undefined) args.push('--requirepass', options.password)
    const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = server
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString()
        if (output.includes('Ready to accept connections')) {
          server.stdout!.off('data', onData)
          // Keep draining, so a chatty server never blocks on a full pipe.
          server.stdout!.resume()
          resolve()
        }
      }
      server.stdout!.on('data', onData)
      server.stderr!.resume()
      server.once('error', reject)
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready: ${output}`)))
    })
  }

  const stop = async (): Promise<void> => {
    const server = child
    child = undefined
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
    server.kill('SIGTERM')
    await exited
  }

  t.after(async () => {
    for (const client of clients) client.disconnect()
    child?.kill('SIGCONT')
    await stop()
  })
  await start()
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`
  return {
    port,
    url: `${options.tls === undefined ? 'redis' : 'rediss'}://${auth}${options.tls === undefined ? '127.0.0.1' : 'localhost'}:${port}/0`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    client: () => {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        password: options.password,
        tls: options.tls === undefined ? undefined : { ca: options.tls.cert, servername: 'localhost' },
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      })
      client.on('error', () => {})
      clients.push(client)
      return client
    },
  }
}
