import { startQuiet, type StartedCli } from './cli-process.js'
import type { HttpLoad, LoadResult } from './load.js'
import { childPids, cpuMicros } from './procfs.js'
import { startRedis } from './redis-server.js'
import type { Role } from './roles.js'
import type { Figures } from './stats.js'

/** How many times the load asks for each session in all (two loads, each cycling through all of them twice). */
const ASKS_PER_SESSION = 4

/**
 * Whoami calls the Ory role receives while `sessions` distinct sessions, none cached yet, are each
 * asked {@link ASKS_PER_SESSION} times: two loads of 25 keep-alive connections at once, each
 * cycling through every session twice from the same starting point, so most sessions are asked
 * through both workers (or both proxies), often at the same moment. Cached for 10 min, so no
 * entry expires during the run (tokens renew from the entry, without a whoami call).
 * 1. one proxy with `--workers 2`: the primary's shared level makes one call per session (without
 *    it, each worker asks for itself: about 2 × sessions);
 * 2. two single-process proxies sharing one `redis-server` (`--session-store`, the second
 *    started after the first stored the signing key): one call per session between them
 *    (exactly 2 × sessions without it).
 */
export async function measureWhoamiCalls(client: Role, ory: Role, origin: string, oryUrl: string, sessions: number): Promise<Figures> {
  const flags = [origin, '--sdk-url', oryUrl, '--session-cache-ttl', '10m']
  const loads = (a: string, b: string): HttpLoad[] =>
    [a, b].map((base) => ({ kind: 'http', url: `${base}/`, connections: 25, amount: (sessions * ASKS_PER_SESSION) / 2, sessions }))
  const calls = async () => (await ory.ask<{ calls: number }>({})).calls
  const run = async (a: string, b: string) => {
    const before = await calls()
    const began = performance.now()
    const { results } = await client.ask<{ results: LoadResult[] }>({ kind: 'parallel', loads: loads(a, b) }, 600_000)
    const seconds = (performance.now() - began) / 1000
    const made = (await calls()) - before
    const requests = results.reduce((sum, result) => sum + result.requests, 0)
    return { calls: made, perSession: made / sessions, errors: results.reduce((sum, result) => sum + result.errors, 0), rps: requests / seconds }
  }
  const figures: Figures = { sessions, asksPerSession: ASKS_PER_SESSION }
  const stopAll = (clis: StartedCli[]) => Promise.all(clis.map((cli) => cli.stop()))

  const cluster = await startQuiet([...flags, '--workers', '2'])
  try {
    const base = `http://127.0.0.1:${cluster.port}`
    const workers = childPids(cluster.pid)
    const cpuBefore = workers.map(cpuMicros)
    const result = await run(base, base)
    // Both workers served: each one's CPU over the run (ms).
    const cpu = workers.map((pid, i) => (cpuMicros(pid) - cpuBefore[i]!) / 1000).sort((x, y) => y - x)
    Object.assign(figures, {
      workersCalls: result.calls,
      workersPerSession: result.perSession,
      workersErrors: result.errors,
      workersRps: result.rps,
      workersCpuMsHigh: cpu[0]!,
      workersCpuMsLow: cpu.at(-1)!,
    })
  } finally {
    await cluster.stop()
  }

  const redis = await startRedis()
  const proxies: StartedCli[] = []
  try {
    const store = [...flags, '--session-store', redis.url]
    // One after the other: the first stores its signing key in Redis, the second loads it (the
    // credential keys derive from the signing key, so two keys would share nothing).
    proxies.push(await startQuiet(store))
    proxies.push(await startQuiet(store))
    const result = await run(`http://127.0.0.1:${proxies[0]!.port}`, `http://127.0.0.1:${proxies[1]!.port}`)
    Object.assign(figures, { redisCalls: result.calls, redisPerSession: result.perSession, redisErrors: result.errors, redisRps: result.rps })
  } finally {
    await stopAll(proxies)
    await redis.stop()
  }
  return figures
}
