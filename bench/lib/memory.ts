import { startQuiet } from './cli-process.js'
import type { LoadResult } from './load.js'
import { createProbe } from './probe.js'
import { rssBytes } from './procfs.js'
import type { Role } from './roles.js'
import type { Figures } from './stats.js'

const MB = 1024 * 1024

/**
 * RSS of a JWT proxy once its cache holds `sessions` entries: each session is asked once (a whoami
 * call and a signature each), then the resident size is read, and the heap after a full GC (the
 * probe). The per-entry cost is the growth of each over the same proxy after a handful of
 * requests, divided by the entries. The TTL outlives the run, so every entry is still there.
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
    const heapAfter = (await probe.read(proxy.pid)).heapUsed!
    // The token each entry holds: the `Authorization` value the app got, less `Bearer `.
    const { authorizationBytes } = await originRole.ask<{ authorizationBytes: number }>({})
    const tokenBytes = authorizationBytes - 'Bearer '.length
    return {
      rssMB: after / MB,
      baselineRssMB: before / MB,
      bytesPerEntry: (after - before) / sessions,
      tokenBytes,
      // What the budget bounds: RSS per cached session over the bytes of the token it holds.
      bytesPerTokenByte: (after - before) / sessions / tokenBytes,
      heapMB: heapAfter / MB,
      heapBytesPerEntry: (heapAfter - heapBefore) / sessions,
      seconds: result!.seconds,
      errors: result!.errors,
    }
  } finally {
    await proxy.stop()
  }
}
