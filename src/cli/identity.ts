import { resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import type { IdentityServerHandle, IdentityServerOptions } from '../identity/server.js'
import type { Logger } from '../logger.js'
import type { ResolvedEndpoint } from './ory-endpoint.js'

/**
 * Starts the built-in identity server. Loaded on demand, so starts with `--project` or `--sdk-url`
 * never load it.
 */
export async function startBuiltInIdentity(options: IdentityServerOptions): Promise<IdentityServerHandle> {
  const { startIdentityServer } = await import('../identity/server.js')
  return startIdentityServer({
    ...options,
    storeFile: options.storeFile === undefined ? undefined : resolve(options.storeFile),
  })
}

/** How banners describe where identities live. */
export function describeIdentityStore(storeFile: string | undefined): string {
  return storeFile === undefined ? 'dev only, in-memory' : `dev only, identities in ${storeFile}`
}

/** The built-in identity server as `start` runs it, plus what its banner line says. */
export interface BuiltInIdentity {
  readonly store: string
  close(): Promise<void>
}

/**
 * `start`'s Ory endpoint: the one flags or environment select, else the built-in identity server,
 * started now on a loopback port (`--identity-store` only makes sense then).
 */
export async function endpointOrBuiltIn(
  selected: ResolvedEndpoint | undefined,
  storeFile: string | undefined,
  logger: Logger,
): Promise<{ endpoint: ResolvedEndpoint; identity?: BuiltInIdentity }> {
  if (selected !== undefined) {
    if (storeFile !== undefined) {
      throw new ConfigError(`--identity-store is for the built-in identity server, but ${selected.label} selects an Ory endpoint`)
    }
    return { endpoint: selected }
  }
  const server = await startBuiltInIdentity({ port: 0, storeFile, logger })
  return {
    endpoint: { url: server.url, source: 'local', label: 'built-in identity server' },
    identity: { store: describeIdentityStore(server.storeFile), close: () => server.close() },
  }
}
