import { startQuiet } from './cli-process.js'
import type { LoadResult } from './load.js'
import { createProbe } from './probe.js'
import { rssBytes } from './procfs.js'
import type { Role } from './roles.js'
import type { Figures } from './stats.js'

const MB = 1024 * 1024

/**
 * Longest wait for the proxy to settle after the fill. V8's memory reducer gave the fill's garbage
 * back 15-30 s after it on Node 20. On Node 24 it waited for its watchdog, 100 s after the last full
 * collection: until then, at each of its checks 8 s apart, it judged the allocation rate high
 * (`--trace-memory-reducer`), though the proxy was idle. The RSS it settles at is the same kind
 * either way.
 */
const SETTLE_LIMIT_MS = 150_000

/**
 * RSS of a JWT proxy once its cache holds `sessions` entries: each session is asked once (a whoami
 * call and a signature each), then the resident size is read at once, and again once the proxy has
 * settled: idle, V8's memory reducer gives back the heap pages the fill's garbage took (RSS fell
 * by a third to a half, 15-30 s after the load on Node 20, about 100 s after it on Node 24), which
 * is what holding the sessions costs from then on. The heap after a full GC (the probe) is read
 * last. The per-entry cost is the growth of each over the same proxy after a handful of requests,
 * divided by the entries, and put against the token each entry holds. The TTL outlives the run, so
 * every entry is still there.
 */
export async function measureMemory(client: Role, originRole: Role, origin: string, ory: string, sessions: number): Promise<Figures> {
  const probe = createProbe('memory', true)
  const args = [origin, '--sdk-url', ory, '--session-cache-size', String(sessions), '--session-cache-ttl', '10m']
  const proxy = await startQuiet(args, probe.options)
  try {
    const base = `http://127.0.0.1:${proxy.port}/`
    // A few requests first, so the baseline includes loaded code, pools and a signing thread.
    await client.ask({ kind: 'http', url: base, connections: 10, amount: 200, session: sessions, sessions: 10 })
    const heapBefore = (await probe.read(proxy.pid)).heapUsed!
    const before = rssBytes(proxy.pid)
    const [result] = (
      await client.ask<{ results: LoadResult[] }>({ kind: 'http', url: base, connections: 50, amount: sessions, sessions }, 600_000)
    ).results
    const after = rssBytes(proxy.pid)
    const settled = await settledRss(proxy.pid, after)
    const heapAfter = (await probe.read(proxy.pid)).heapUsed!
    // The token each entry holds: the `Authorization` value the app got, less `Bearer `.
    const { authorizationBytes } = await originRole.ask<{ authorizationBytes: number }>({})
    const tokenBytes = authorizationBytes - 'Bearer '.length
    return {
      rssMB: after / MB,
      baselineRssMB: before / MB,
      bytesPerEntry: (after - before) / sessions,
      settledRssMB: settled.bytes / MB,
      settleSeconds: settled.seconds,
      settledBytesPerEntry: (settled.bytes - before) / sessions,
      tokenBytes,
      // What the budget bounds: RSS per cached session, settled, over the bytes of the token it holds.
      bytesPerTokenByte: (settled.bytes - before) / sessions / tokenBytes,
      fillBytesPerTokenByte: (after - before) / sessions / tokenBytes,
      heapMB: heapAfter / MB,
      heapBytesPerEntry: (heapAfter - heapBefore) / sessions,
      seconds: result!.seconds,
      errors: result!.errors,
    }
  } finally {
    await proxy.stop()
  }
}

/**
 * RSS once it has fallen at least 10 % below `after` and then moved less than 1 MB over 3 s
 * (sampled every second), or after {@link SETTLE_LIMIT_MS}; with the seconds it took.
 */
async function settledRss(pid: number, after: number): Promise<{ bytes: number; seconds: number }> {
  const began = performance.now()
  const samples: number[] = []
  while (performance.now() - began < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    samples.push(rssBytes(pid))
    const last = samples.slice(-4)
    if (last.length === 4 && last[0]! < after * 0.9 && Math.max(...last) - Math.min(...last) < MB) break
  }
  return { bytes: samples.at(-1)!, seconds: Math.round((performance.now() - began) / 1000) }
}
