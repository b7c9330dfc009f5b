import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { Client } from 'undici'
import { spawnCli, type RunningCli } from './cli.js'
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

/** Which worker answered the request sent with `X-Request-Id: requestId` (waits for its debug line). */
export async function workerOf(cli: RunningCli, requestId: string): Promise<number> {
  let line: Record<string, unknown> | undefined
  await until(() => (line = debugLines(cli).find((l) => l.request === requestId)) !== undefined, `the debug line of ${requestId}`)
  return line!.worker as number
}

/** A keep-alive connection to the proxy and the worker that accepted it. */
export interface PinnedClient {
  readonly client: Client
  readonly worker: number
}

/**
 * Opens connections (one undici Client each, one socket) until `count` of them sit on different
 * workers, so a test can send a request through the worker it chooses. Bounded: at most 32 tries.
 */
export async function clientsOnDistinctWorkers(t: TestContext, running: RunningWorkers, count: number): Promise<PinnedClient[]> {
  const pinned = new Map<number, PinnedClient>()
  for (let tries = 0; tries < 32 && pinned.size < count; tries++) {
    const client = new Client(running.url, { pipelining: 1 })
    t.after(() => client.destroy())
    const requestId = `pin-${randomUUID()}`
    const response = await client.request({ path: '/.ory/jwks.json', method: 'GET', headers: { 'x-request-id': requestId } })
    await response.body.dump()
    const worker = await workerOf(running.cli, requestId)
    if (pinned.has(worker)) void client.close()
    else pinned.set(worker, { client, worker })
  }
  if (pinned.size < count) throw new Error(`connections reached only ${pinned.size} of ${count} workers`)
  return [...pinned.values()]
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
