import type { Dispatcher, Pool as PoolType } from 'undici'
import type { ProxyConfig, Timeouts, Upstream } from '../config.js'
import { connectOption } from '../egress/connect.js'
import { h2cClientClass, Pool } from '../undici-parts.js'

/** Streams one HTTP/2 connection carries to the app, as browsers and nginx allow. */
const APP_H2_STREAMS = 100

/**
 * One keep-alive undici Pool per upstream origin. Timeouts are always explicit: undici's defaults
 * (300 s) would hide a hung app for five minutes. `allowH2` lets ALPN choose HTTP/2 on https.
 */
function createPool(upstream: Upstream, timeouts: Timeouts, connections: number, allowH2 = false): PoolType {
  return new Pool(upstream.origin, {
    connections,
    pipelining: 1,
    allowH2,
    headersTimeout: timeouts.upstreamHeadersMs,
    bodyTimeout: timeouts.upstreamBodyMs,
    // Below Node's default server keepAliveTimeout (5 s), so the app never closes a socket we are
    // about to reuse (checklist c6).
    keepAliveTimeout: 4_000,
    connect: connectOption(upstream.proxy, timeouts.upstreamConnectMs),
  })
}

/**
 * Ory's pool. Unlike an app, Ory streams nothing (no server-sent events, no long polls), and a
 * body held back for its rewrite shows the client nothing until it ends: so unless
 * `upstreamBodyMs` says otherwise, an Ory body idle for as long as the upstream timeout ends its
 * request (504 before the head went out, a cut connection after) instead of hanging it.
 */
export function createOryPool(config: ProxyConfig): PoolType {
  const { timeouts } = config
  const bodyMs = timeouts.upstreamBodyMs === 0 ? timeouts.upstreamHeadersMs : timeouts.upstreamBodyMs
  return createPool(config.ory, { ...timeouts, upstreamBodyMs: bodyMs }, config.upstreamConnections)
}

export interface AppDispatchers {
  /** Every app request but WebSocket upgrades. */
  readonly app: Dispatcher
  /** WebSocket upgrades: always HTTP/1.1, the one version every dev server upgrades on. */
  readonly appTunnel: Dispatcher
}

/**
 * The app's dispatchers. With `--app-h2`, an https app gets a pool that negotiates h2 by ALPN and
 * an http app one h2c connection with prior knowledge (RFC 9113 §3.3), streams multiplexed on it;
 * upgrades then get their own HTTP/1.1 pool. Otherwise one HTTP/1.1 pool serves both.
 */
export function createAppPools(config: ProxyConfig): AppDispatchers {
  const { app, timeouts, upstreamConnections } = config
  const http1 = createPool(app, timeouts, upstreamConnections)
  if (!config.appH2) return { app: http1, appTunnel: http1 }
  const h2: Dispatcher = app.secure
    ? createPool(app, timeouts, upstreamConnections, true)
    : new (h2cClientClass())(app.origin, {
        maxConcurrentStreams: APP_H2_STREAMS,
        pipelining: APP_H2_STREAMS,
        headersTimeout: timeouts.upstreamHeadersMs,
        bodyTimeout: timeouts.upstreamBodyMs,
        keepAliveTimeout: 4_000,
        connectTimeout: timeouts.upstreamConnectMs,
      })
  return { app: h2, appTunnel: http1 }
}

/** Closes a dispatcher gracefully, destroying it if in-flight requests outlast `deadlineMs`. */
export async function closePool(pool: Dispatcher, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, deadlineMs, 'late')
  })
  const result = await Promise.race([pool.close().then(() => 'closed' as const), deadline])
  clearTimeout(timer)
  if (result === 'late') await pool.destroy()
}
