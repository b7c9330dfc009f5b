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
 * and one session level. Modules load on demand, so `--no-jwt` never loads jose or piscina and a
 * single process never loads the cluster.
 */
export async function serve(options: ServeOptions): Promise<{ close(): Promise<void> }> {
  const { config, session, oryRequest, logger } = options
  if (options.workers > 1) {
    const [{ startCluster }, key] = await Promise.all([
      import('../cluster/primary.js'),
      session === undefined ? undefined : import('../session/keys.js').then((keys) => keys.signingKeyFor(session.jwkFile)),
    ])
    return startCluster({
      workers: options.workers,
      scheduling: options.scheduling,
      logger,
      plan: {
        config,
        session: session === undefined ? undefined : { settings: session, key: key! },
        oryRequest,
        log: options.log,
      },
    })
  }
  const gate = session === undefined ? undefined : (await import('../session/gate.js')).openSessionGate(config, session, logger)
  const { startProxy } = await import('../server/proxy.js')
  return startProxy(config, { logger, gate, oryRequest })
}
