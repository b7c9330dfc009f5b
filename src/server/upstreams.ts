import { Pool } from 'undici'
import type { Timeouts, Upstream } from '../config.js'

/**
 * One keep-alive undici Pool per upstream origin. Timeouts are always explicit: undici's defaults
 * (300 s) would hide a hung app for five minutes.
 */
export function createPool(upstream: Upstream, timeouts: Timeouts, connections: number): Pool {
  return new Pool(upstream.origin, {
    connections,
    pipelining: 1,
    headersTimeout: timeouts.upstreamHeadersMs,
    bodyTimeout: timeouts.upstreamBodyMs,
    // Below Node's default server keepAliveTimeout (5 s), so the app never closes a socket we are
    // about to reuse (checklist c6).
    keepAliveTimeout: 4_000,
    connect: { timeout: timeouts.upstreamConnectMs },
  })
}

/** Closes a pool gracefully, destroying it if in-flight requests outlast `deadlineMs`. */
export async function closePool(pool: Pool, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, deadlineMs, 'late')
  })
  const result = await Promise.race([pool.close().then(() => 'closed' as const), deadline])
  clearTimeout(timer)
  if (result === 'late') await pool.destroy()
}
