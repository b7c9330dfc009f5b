import type { ProxyConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { MetricsServer, MetricsSource } from '../observability/metrics-server.js'
import { combineObservers } from '../observability/observers.js'
import type { RequestLog } from '../observability/request-log.js'
import type { OryRequestOptions } from '../server/upstream-headers.js'
import type { SessionParts, SessionSettings } from '../session/gate.js'
import type { SigningKey } from '../session/keys.js'
import type { Scheduling } from '../cluster/primary.js'

export interface ServeOptions {
  readonly config: ProxyConfig
  /** Undefined with `--no-jwt`. */
  readonly session: SessionSettings | undefined
  readonly oryRequest: OryRequestOptions
  readonly logger: Logger
  readonly log: { readonly quiet: boolean; readonly debug: boolean }
  /** The request log the command opened (and closes last); with workers, each worker opens its own. */
  readonly requestLog: RequestLog | undefined
  /** 1 serves from this process; more start a cluster of that many workers. */
  readonly workers: number
  readonly scheduling: Scheduling
}

/** A worker's metrics must reach a scrape within this, or that scrape goes without them. */
const WORKER_SCRAPE_MS = 2_000

/**
 * Starts serving: the proxy in this process, or `workers` cluster workers sharing one signing key
 * and one session level. Modules load on demand, so `--no-jwt` never loads jose or piscina, a
 * single process never loads the cluster, only `--session-store` loads the Redis client and only
 * `--metrics` loads prom-client. With a session store the key is the one shared through it, and
 * the shared level lives in Redis (each worker connects to it) instead of the cluster primary.
 *
 * With `--metrics` the metrics listener binds first (a port in use stops the start before the
 * proxy's), answers `/health/ready` with 503 until the proxy accepts requests and signs, and with
 * 503 again from the moment the proxy starts to drain; it closes last.
 */
export async function serve(options: ServeOptions): Promise<{ close(): Promise<void> }> {
  const { session, logger } = options
  const storeModule = session?.store === undefined ? undefined : await import('../session/redis-store.js')
  const store = storeModule === undefined ? undefined : await storeModule.openSessionStore(session!.store!, session!.jwkFile, logger)
  // A bad --jwk-file is a ConfigError here, before any thread or socket exists.
  const key = session === undefined ? undefined : (store?.key ?? (await (await import('../session/keys.js')).signingKeyFor(session.jwkFile)))
  if (options.workers > 1) {
    // The workers open connections of their own; this one only settled the key.
    store?.redis.disconnect()
    return serveCluster(options, key)
  }
  if (key === undefined) return serveHere(options, undefined)
  const level =
    store === undefined ? undefined : storeModule!.openRedisLevel(store.redis, store.key, session!.store!, logger, session!.jwkFile === undefined)
  // The signing thread boots while the gate and the proxy load (startSignerPool).
  const signerPool = (await import('../session/signer.js')).startSignerPool(options.config.ory, key)
  return serveHere(options, { key, level, signerPool })
}

/** `--workers` above 1: the primary serves the metrics every worker counts, added up at each scrape. */
async function serveCluster(options: ServeOptions, key: SigningKey | undefined): Promise<{ close(): Promise<void> }> {
  const { config, session, oryRequest, logger } = options
  const address = config.observe.metrics
  const [{ startCluster }, { newViaPseudonym }] = await Promise.all([import('../cluster/primary.js'), import('../server/via.js')])
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined
  const metricsServer =
    address === undefined
      ? undefined
      : await openMetricsServer(address, async () => {
          const { ClusterMetrics } = await import('../observability/cluster-metrics.js')
          return new ClusterMetrics(() => cluster?.workerMetrics(WORKER_SCRAPE_MS) ?? Promise.resolve({ answers: new Map(), live: new Set() }))
        })
  try {
    cluster = await startCluster({
      workers: options.workers,
      scheduling: options.scheduling,
      logger,
      plan: {
        config,
        session: session === undefined ? undefined : { settings: session, key: key! },
        oryRequest,
        log: options.log,
        viaPseudonym: newViaPseudonym(),
      },
    })
  } catch (error) {
    await metricsServer?.close()
    throw error
  }
  if (metricsServer !== undefined) metricsServer.readiness = 'ready'
  return closingBoth(cluster, metricsServer)
}

/** One process: the proxy, its gate (with `parts` unless `--no-jwt`), and the metrics if asked for. */
async function serveHere(options: ServeOptions, parts: SessionParts | undefined): Promise<{ close(): Promise<void> }> {
  const { config, session, oryRequest, logger } = options
  const address = config.observe.metrics
  let metricsServer: MetricsServer | undefined
  let gate
  try {
    const metrics = address === undefined ? undefined : new (await import('../observability/metrics.js')).ProxyMetrics()
    metricsServer =
      address === undefined
        ? undefined
        : await openMetricsServer(address, async () => ({ contentType: metrics!.registry.contentType, text: () => metrics!.text() }))
    if (session !== undefined) {
      const { openSessionGate } = await import('../session/gate.js')
      gate = openSessionGate(config, session, logger, parts!, metrics)
    }
    const { startProxyServer } = await import('../server/proxy.js')
    const proxy = await startProxyServer(config, { logger, gate, oryRequest, observer: combineObservers(options.requestLog, metrics) })
    metrics?.watch({ proxy, gate, log: options.requestLog })
    if (metricsServer !== undefined) {
      const listener = metricsServer
      ;(gate?.ready() ?? Promise.resolve()).then(
        () => {
          if (listener.readiness === 'starting') listener.readiness = 'ready'
        },
        (error: unknown) => {
          // A proxy closed before its threads were up stops them itself: nothing to report then.
          if (listener.readiness === 'starting') logger.warn(`the JWT signing threads did not start: ${(error as Error).message}`)
        },
      )
    }
    return closingBoth(proxy, metricsServer)
  } catch (error) {
    // A gate that exists owns the signing pool (the proxy closes it when it cannot start).
    await Promise.all([metricsServer?.close(), gate === undefined ? parts?.signerPool.close() : undefined])
    throw error
  }
}

async function openMetricsServer(
  address: NonNullable<ProxyConfig['observe']['metrics']>,
  source: () => Promise<MetricsSource>,
): Promise<MetricsServer> {
  const [{ startMetricsServer }, metrics] = await Promise.all([import('../observability/metrics-server.js'), source()])
  return startMetricsServer(address, metrics)
}

/** Closing the proxy says "stopping" on /health/ready first, and closes the metrics listener last. */
function closingBoth(proxy: { close(): Promise<void> }, metricsServer: MetricsServer | undefined): { close(): Promise<void> } {
  if (metricsServer === undefined) return proxy
  let closing: Promise<void> | undefined
  return {
    close: () => {
      metricsServer.readiness = 'stopping'
      return (closing ??= proxy.close().finally(() => metricsServer.close()))
    },
  }
}
