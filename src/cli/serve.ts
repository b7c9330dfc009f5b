import type { ProxyConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { OryRequestOptions } from '../server/upstream-headers.js'
import type { SessionSettings } from '../session/gate.js'
import type { Scheduling } from '../cluster/primary.js'

export interface ServeOptions {
  readonly config: ProxyConfig
  /** Undefined with `--no-jwt`. */
  readonly session: SessionSettings | undefined
  readonly oryRequest: OryRequestOptions
  readonly logger: Logger
  readonly log: { readonly quiet: boolean; readonly debug: boolean }
  /** 1 serves from this process; more start a cluster of that many workers. */
  readonly workers: number
  readonly scheduling: Scheduling
}

/**
 * Starts serving: the proxy in this process, or `workers` cluster workers sharing one signing key
 * and one session level. Modules load on demand, so `--no-jwt` never loads jose or piscina, a
 * single process never loads the cluster, and only `--session-store` loads the Redis client.
 * With a session store the key is the one shared through it, and the shared level lives in Redis
 * (each worker connects to it) instead of the cluster primary.
 */
export async function serve(options: ServeOptions): Promise<{ close(): Promise<void> }> {
  const { config, session, oryRequest, logger } = options
  const storeModule = session?.store === undefined ? undefined : await import('../session/redis-store.js')
  const store = storeModule === undefined ? undefined : await storeModule.openSessionStore(session!.store!, session!.jwkFile, logger)
  // A bad --jwk-file is a ConfigError here, before any thread or socket exists.
  const key = session === undefined ? undefined : (store?.key ?? (await (await import('../session/keys.js')).signingKeyFor(session.jwkFile)))
  if (options.workers > 1) {
    // The workers open connections of their own; this one only settled the key.
    store?.redis.disconnect()
    const { startCluster } = await import('../cluster/primary.js')
    return startCluster({
      workers: options.workers,
      scheduling: options.scheduling,
      logger,
      plan: { config, session: session === undefined ? undefined : { settings: session, key: key! }, oryRequest, log: options.log },
    })
  }
  let gate
  if (session !== undefined) {
    const { openSessionGate } = await import('../session/gate.js')
    const level =
      store === undefined ? undefined : storeModule!.openRedisLevel(store.redis, store.key, session.store!, logger, session.jwkFile === undefined)
    gate = openSessionGate(config, session, logger, { key: key!, level })
  }
  const { startProxy } = await import('../server/proxy.js')
  return startProxy(config, { logger, gate, oryRequest })
}
