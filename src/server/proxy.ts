import type { AddressInfo } from 'node:net'
import type { Dispatcher } from 'undici'
import type { ProxyConfig } from '../config.js'
import { listen } from '../http-server.js'
import { silentLogger, type Logger } from '../logger.js'
import { createFront } from './front.js'
import type { ProxyObserver } from './observer.js'
import { RequestPipeline, type SessionGate } from './pipeline.js'
import { Tunnels } from './tunnel.js'
import type { OryRequestOptions } from './upstream-headers.js'
import { closePool, createAppPools, createOryPool } from './upstreams.js'

export interface UpstreamStats {
  /** Sockets open to the upstream. */
  readonly connected: number
  /** Requests being answered now. */
  readonly running: number
  /** Requests waiting for a socket. */
  readonly pending: number
}

export interface ProxyDeps {
  readonly logger?: Logger | undefined
  /** Told about every request (request log, metrics); undefined: nothing is measured per request. */
  readonly observer?: ProxyObserver | undefined
  /** The session layer (absent with `--no-jwt`); the proxy owns it from here and closes it last. */
  readonly gate?: SessionGate | undefined
  readonly oryRequest?: OryRequestOptions | undefined
  readonly maxRewriteBytes?: number | undefined
  /** The name this proxy goes by in `Via` ({@link newViaPseudonym}); undefined: a new one. */
  readonly viaPseudonym?: string | undefined
}

/** A running proxy. `close()` drains in-flight requests (bounded), then closes the pools and the gate. */
export interface ProxyHandle {
  readonly port: number
  /** `http://127.0.0.1:<port>`-style address the proxy listens on (not the publish-url); `https:` with TLS. */
  readonly address: string
  /** WebSocket tunnels open now. */
  readonly tunnels: number
  /** Client connections open now. */
  readonly connections: number
  /** Client connections open now by protocol (HTTP/1.1 counts those not yet decided too). */
  clientConnections(): { readonly h1: number; readonly h2: number }
  /** Asks `count` client connections to reconnect: HTTP/2 gets GOAWAY, HTTP/1.1 `Connection: close` on its next response. */
  shedConnections(count: number): void
  /** Connections and requests of the app and Ory pools now (undici's pool stats). */
  upstreamStats(): { readonly app: UpstreamStats; readonly ory: UpstreamStats }
  close(): Promise<void>
}

/** Starts the proxy described by `config` and resolves once it is listening. */
export async function startProxyServer(config: ProxyConfig, deps: ProxyDeps = {}): Promise<ProxyHandle> {
  const logger = deps.logger ?? silentLogger
  const { app, appTunnel } = createAppPools(config)
  const ory = createOryPool(config)
  const pools = appTunnel === app ? [app, ory] : [app, appTunnel, ory]
  const tunnels = new Tunnels(config.timeouts.tunnelIdleMs)
  const pipeline = new RequestPipeline(config, {
    app,
    appTunnel,
    ory,
    tunnels,
    logger,
    observer: deps.observer,
    gate: deps.gate,
    oryRequest: deps.oryRequest,
    maxRewriteBytes: deps.maxRewriteBytes,
    viaPseudonym: deps.viaPseudonym,
  })
  const front = createFront(pipeline, tunnels, config.timeouts, config.tls)
  try {
    await listen(front.server, config.listen.port, config.listen.host)
  } catch (error) {
    await Promise.all([...pools.map((pool) => pool.destroy()), deps.gate?.close?.()])
    throw error
  }
  const { port, address, family } = front.server.address() as AddressInfo
  const host = family === 'IPv6' ? `[${address}]` : address
  let closing: Promise<void> | undefined
  return {
    port,
    address: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    get tunnels() {
      return tunnels.size
    },
    get connections() {
      return front.connections
    },
    clientConnections: () => {
      const h2 = front.h2Connections
      return { h1: Math.max(0, front.connections - h2), h2 }
    },
    shedConnections: (count) => front.shedConnections(count),
    upstreamStats: () => ({ app: statsOf(app), ory: statsOf(ory) }),
    // Drain the front first (bounded), then the pools the drained requests used, and the gate.
    close: () =>
      (closing ??= front
        .close(config.timeouts.shutdownMs)
        .then(() =>
          Promise.all([...pools.map((pool) => closePool(pool, config.timeouts.shutdownMs)), deps.gate?.close?.()]),
        )
        .then(() => undefined)),
  }
}

/** Pools count their sockets; a single h2c client reports `connected` as a boolean. */
function statsOf(dispatcher: Dispatcher): UpstreamStats {
  const stats = (dispatcher as { stats?: { connected: number | boolean; running: number; pending: number } }).stats
  return { connected: Number(stats?.connected ?? 0), running: stats?.running ?? 0, pending: stats?.pending ?? 0 }
}
