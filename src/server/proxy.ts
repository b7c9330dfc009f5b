import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { ProxyConfig } from '../config.js'
import { drain, listen } from '../http-server.js'
import { silentLogger, type Logger } from '../logger.js'
import { createHttp1Front } from './front.js'
import { RequestPipeline, type SessionGate } from './pipeline.js'
import type { OryRequestOptions } from './upstream-headers.js'
import { closePool, createPool } from './upstreams.js'

export interface ProxyDeps {
  readonly logger?: Logger | undefined
  /** The session layer (absent with `--no-jwt`); the proxy owns it from here and closes it last. */
  readonly gate?: SessionGate | undefined
  readonly oryRequest?: OryRequestOptions | undefined
  readonly maxRewriteBytes?: number | undefined
}

/** A running proxy. `close()` drains in-flight requests (bounded), then closes the pools and the gate. */
export interface ProxyHandle {
  readonly port: number
  /** `http://127.0.0.1:<port>`-style address the proxy listens on (not the publish-url). */
  readonly address: string
  close(): Promise<void>
}

/** Starts the proxy described by `config` and resolves once it is listening. */
export async function startProxy(config: ProxyConfig, deps: ProxyDeps = {}): Promise<ProxyHandle> {
  const logger = deps.logger ?? silentLogger
  const app = createPool(config.app, config.timeouts, config.upstreamConnections)
  const ory = createPool(config.ory, config.timeouts, config.upstreamConnections)
  const pipeline = new RequestPipeline(config, {
    app,
    ory,
    logger,
    gate: deps.gate,
    oryRequest: deps.oryRequest,
    maxRewriteBytes: deps.maxRewriteBytes,
  })
  const server = createHttp1Front(pipeline, config.timeouts)
  try {
    await listen(server, config.listen.port, config.listen.host)
  } catch (error) {
    await Promise.all([app.destroy(), ory.destroy(), deps.gate?.close?.()])
    throw error
  }
  const { port, address, family } = server.address() as AddressInfo
  const host = family === 'IPv6' ? `[${address}]` : address
  let closing: Promise<void> | undefined
  return {
    port,
    address: `http://${host}:${port}`,
    close: () => (closing ??= shutdown(server, config.timeouts.shutdownMs, () =>
      Promise.all([
        closePool(app, config.timeouts.shutdownMs),
        closePool(ory, config.timeouts.shutdownMs),
        deps.gate?.close?.(),
      ]).then(() => undefined),
    )),
  }
}

/** Drains the front (bounded by `deadlineMs`), then closes the upstream pools. */
async function shutdown(server: Server, deadlineMs: number, closeUpstreams: () => Promise<void>): Promise<void> {
  await drain(server, deadlineMs)
  await closeUpstreams()
}
