import { resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import type { IdentityServerHandle, IdentityServerOptions } from '../identity/server.js'
import type { Logger } from '../logger.js'
import type { ResolvedEndpoint } from './ory-endpoint.js'

/** What the command line adds to the server's options: files named by flags. */
export interface BuiltInIdentityOptions extends Omit<IdentityServerOptions, 'schema' | 'announce'> {
  /** `--identity-schema`: a Kratos identity schema file. */
  readonly schemaFile?: string | undefined
}

/**
 * Starts the built-in identity server. Loaded on demand, so starts with `--project` or `--sdk-url`
 * never load it (nor ajv). Courier messages are announced on stderr even with `--quiet`: they are
 * the mail a developer waits for, not the proxy's chatter.
 */
export async function startBuiltInIdentity(options: BuiltInIdentityOptions): Promise<IdentityServerHandle> {
  const [{ startIdentityServer }, { loadIdentitySchema }] = await Promise.all([import('../identity/server.js'), import('../identity/schema.js')])
  const { schemaFile, ...rest } = options
  return startIdentityServer({
    ...rest,
    schema: schemaFile === undefined ? undefined : await loadIdentitySchema(resolve(schemaFile)),
    storeFile: options.storeFile === undefined ? undefined : resolve(options.storeFile),
    announce: (line) => process.stderr.write(`ory-proxy: ${line}\n`),
  })
}

/** How banners describe where identities live. */
export function describeIdentityStore(storeFile: string | undefined): string {
  return storeFile === undefined ? 'dev only, in-memory' : `dev only, identities in ${storeFile}`
}

/** The built-in identity server as `start` runs it, plus what its banner line says. */
export interface BuiltInIdentity {
  readonly store: string
  /** The admin listener (courier messages, sessions), never reachable through the proxy. */
  readonly adminUrl: string
  close(): Promise<void>
}

/** The `start` flags that only concern the built-in identity server. */
export interface BuiltInFlags {
  readonly storeFile: string | undefined
  readonly schemaFile: string | undefined
}

/**
 * `start`'s Ory endpoint: the one flags or environment select, else the built-in identity server,
 * started now on a loopback port (`--identity-store` and `--identity-schema` only make sense then).
 */
export async function endpointOrBuiltIn(
  selected: ResolvedEndpoint | undefined,
  flags: BuiltInFlags,
  logger: Logger,
): Promise<{ endpoint: ResolvedEndpoint; identity?: BuiltInIdentity }> {
  if (selected !== undefined) {
    const given = flags.storeFile !== undefined ? '--identity-store' : flags.schemaFile !== undefined ? '--identity-schema' : undefined
    if (given !== undefined) {
      throw new ConfigError(`${given} is for the built-in identity server, but ${selected.label} selects an Ory endpoint`)
    }
    return { endpoint: selected }
  }
  const server = await startBuiltInIdentity({ port: 0, adminPort: 0, storeFile: flags.storeFile, schemaFile: flags.schemaFile, logger })
  return {
    endpoint: { url: server.url, source: 'local', label: 'built-in identity server' },
    identity: { store: describeIdentityStore(server.storeFile), adminUrl: server.adminUrl, close: () => server.close() },
  }
}
