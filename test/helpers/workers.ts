import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import type http2 from 'node:http2'
import type { TestContext } from 'node:test'
import { Client } from 'undici'
import { spawnCli, type RunningCli } from './cli.js'
import { h2Connect, h2Request } from './h2.js'
import { freePort } from './upstream.js'
import { until } from './until.js'

export interface RunningWorkers {
  readonly cli: RunningCli
  readonly url: string
  readonly port: number
}

/** Starts `bin/run.js start <args> --workers <count> --debug` on a free port; resolves once every worker listens. */
export async function startWorkers(t: TestContext, count: number, args: string[]): Promise<RunningWorkers> {
  const port = await freePort()
  const cli = await spawnCli(t, ['start', ...args, '--port', String(port), '--workers', String(count), '--debug', '-y'], 'listening on port')
  return { cli, url: `http://127.0.0.1:${port}`, port }
}

/** The `--debug` request lines written so far, parsed. */
export function debugLines(cli: RunningCli): Array<Record<string, unknown>> {
  return cli.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === 'request')
}

/** The debug line of the request sent with `X-Request-Id: requestId` (waits for it). */
export async function lineOf(cli: RunningCli, requestId: string): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined
  await until(() => (line = debugLines(cli).find((l) => l.request === requestId)) !== undefined, `the debug line of ${requestId}`)
  return line!
}

/** Which worker answered the request sent with `X-Request-Id: requestId`. */
export async function workerOf(cli: RunningCli, requestId: string): Promise<number> {
  return (await lineOf(cli, requestId)).worker as number
}

/** A connection to the proxy and the worker that accepted it. */
export interface Pinned<T> {
  readonly connection: T
  readonly worker: number
}

/**
 * Opens connections with `open` (which sends one request with the given `X-Request-Id` on its
 * new connection) until `count` of them sit on different workers, so a test can send requests
 * through the workers it chooses; the others are closed with `close`. Workers accept connections
 * themselves, so which one gets a connection is the kernel's choice: bounded at 40 tries.
 */
export async function onDistinctWorkers<T>(
  running: RunningWorkers,
  count: number,
  open: (requestId: string) => Promise<T>,
  close: (connection: T) => void,
): Promise<Array<Pinned<T>>> {
  const pinned = new Map<number, Pinned<T>>()
  for (let tries = 0; tries < 40 && pinned.size < count; tries++) {
    const requestId = `pin-${randomUUID()}`
    const connection = await open(requestId)
    const worker = await workerOf(running.cli, requestId)
    if (pinned.has(worker)) close(connection)
    else pinned.set(worker, { connection, worker })
  }
  if (pinned.size < count) throw new Error(`connections reached only ${pinned.size} of ${count} workers`)
  return [...pinned.values()]
}

/** HTTP/2 connections (h2c) on `count` different workers. */
export function h2SessionsOnDistinctWorkers(
  t: TestContext,
  running: RunningWorkers,
  count: number,
): Promise<Array<Pinned<http2.ClientHttp2Session>>> {
  return onDistinctWorkers(
    running,
    count,
    async (requestId) => {
      const session = await h2Connect(t, running.url)
      const response = await h2Request(session, { ':path': '/.ory/jwks.json', 'x-request-id': requestId })
      if (response.status !== 200) throw new Error(`the JWKS answered ${response.status} over h2c`)
      return session
    },
    (session) => session.close(),
  )
}

/** Keep-alive HTTP/1.1 connections (one undici Client each) on `count` different workers. */
export function clientsOnDistinctWorkers(t: TestContext, running: RunningWorkers, count: number): Promise<Array<Pinned<Client>>> {
  return onDistinctWorkers(
    running,
    count,
    async (requestId) => {
      const client = new Client(running.url, { pipelining: 1 })
      t.after(() => client.destroy())
      const response = await client.request({ path: '/.ory/jwks.json', method: 'GET', headers: { 'x-request-id': requestId } })
      await response.body.dump()
      return client
    },
    (client) => void client.close(),
  )
}

/** PIDs of the CLI process's children (the cluster workers), from /proc. */
export function workerPids(cli: RunningCli): number[] {
  const pid = cli.child.pid!
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((text) => text !== '')
    .map(Number)
}

/**
 * Established client connections to `port` held by each of `pids`, read from /proc: each
 * process's socket inodes matched against the kernel's TCP table (local port `port`, state 01).
 */
export function connectionsPerProcess(pids: readonly number[], port: number): Map<number, number> {
  const established = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/)
      const localPort = Number.parseInt(fields[1]!.split(':')[1]!, 16)
      if (localPort === port && fields[3] === '01') established.add(fields[9]!)
    }
  }
  const counts = new Map<number, number>()
  for (const pid of pids) {
    let count = 0
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]
        if (inode !== undefined && established.has(inode)) count++
      } catch {
        // The descriptor closed while we looked.
      }
    }
    counts.set(pid, count)
  }
  return counts
}
