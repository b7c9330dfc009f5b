import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import type { IdentityServerHandle, IdentityServerOptions } from '../identity/server.js'
import type { Logger } from '../logger.js'
import type { ResolvedEndpoint } from './ory-endpoint.js'

/** What the command line adds to the server's options: files named by flags. */
export interface BuiltInIdentityOptions extends Omit<IdentityServerOptions, 'schema' | 'announce' | 'identities'> {
  /** `--identity-schema`: a Kratos identity schema file. */
  readonly schemaFile?: string | undefined
  /** `--identities`: a JSON array of the admin API's create bodies, imported at start. */
  readonly identitiesFile?: string | undefined
}

/** A running built-in server and where its admin token can be read when it was not given. */
export interface BuiltInIdentityHandle extends IdentityServerHandle {
  /** The file (mode 0600, in a private temporary folder) holding a generated admin token; undefined when the token was given. */
  readonly adminTokenFile: string | undefined
}

/**
 * Starts the built-in identity server. Loaded on demand, so starts with `--project` or `--sdk-url`
 * never load it (nor ajv). Courier messages are announced on stderr even with `--quiet`: they are
 * the mail a developer waits for, not the proxy's chatter. A generated admin token is written to a
 * file only its owner can read (removed at close), never printed: logs and CI output are read by
 * more people than the machine's user.
 */
export async function startBuiltInIdentity(options: BuiltInIdentityOptions): Promise<BuiltInIdentityHandle> {
  const [{ startIdentityServer }, { loadIdentitySchema }] = await Promise.all([import('../identity/server.js'), import('../identity/schema.js')])
  const { schemaFile, identitiesFile, ...rest } = options
  const server = await startIdentityServer({
    ...rest,
    schema: schemaFile === undefined ? undefined : await loadIdentitySchema(resolve(schemaFile)),
    identities: identitiesFile === undefined ? undefined : await readIdentitiesFile(resolve(identitiesFile)),
    storeFile: options.storeFile === undefined ? undefined : resolve(options.storeFile),
    announce: (line) => process.stderr.write(`ory-proxy: ${line}\n`),
  })
  if (options.adminToken !== undefined) return { ...server, adminTokenFile: undefined }
  let folder: string | undefined
  try {
    folder = await mkdtemp(join(tmpdir(), 'ory-proxy-'))
    const adminTokenFile = join(folder, 'identity-admin-token')
    await writeFile(adminTokenFile, `${server.adminToken}\n`, { mode: 0o600 })
    let closing: Promise<void> | undefined
    const close = () => (closing ??= server.close().finally(() => rm(folder!, { recursive: true, force: true })))
    return { ...server, adminTokenFile, close }
  } catch (cause) {
    await Promise.all([server.close(), folder === undefined ? undefined : rm(folder, { recursive: true, force: true })])
    throw new ConfigError(`cannot write the identity admin token file in ${tmpdir()}: ${(cause as Error).message}`, { cause })
  }
}

/** `--identities <file>`: read and parsed here; the server checks each entry. Every failure is one line. */
async function readIdentitiesFile(file: string): Promise<{ entries: unknown; source: string }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigError(`--identities: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
  }
  try {
    return { entries: JSON.parse(text) as unknown, source: file }
  } catch (cause) {
    throw new ConfigError(`--identities: ${file} is not JSON: ${(cause as Error).message}`, { cause })
  }
}

/** How banners describe where identities live. */
export function describeIdentityStore(storeFile: string | undefined): string {
  return storeFile === undefined ? 'dev only, in-memory' : `dev only, identities and sessions in ${storeFile}`
}

/** Where the admin token is, for a banner: the file, or the flag it came from. Never the token. */
export function describeAdminToken(identity: Pick<BuiltInIdentityHandle, 'adminTokenFile'>, given: string): string {
  return identity.adminTokenFile === undefined ? `the token given in ${given}` : `the token in ${identity.adminTokenFile}`
}

/** The built-in identity server as `start` runs it, plus what its banner line says. */
export interface BuiltInIdentity {
  readonly store: string
  /** The admin listener (Kratos' admin API, courier messages), never reachable through the proxy. */
  readonly adminUrl: string
  readonly adminToken: string
  readonly adminTokenFile: string | undefined
  close(): Promise<void>
}

/** The `start` flags that only concern the built-in identity server. */
export interface BuiltInFlags {
  readonly storeFile: string | undefined
  readonly schemaFile: string | undefined
  readonly identitiesFile: string | undefined
  readonly adminToken: string | undefined
  /** The admin listener's port; undefined or 0 picks a free one. */
  readonly adminPort: number | undefined
}

/** Flags that make no sense with another Ory endpoint (an admin token, often set in the environment, is just unused). */
const BUILT_IN_FLAGS: ReadonlyArray<readonly [keyof BuiltInFlags, string]> = [
  ['storeFile', '--identity-store'],
  ['schemaFile', '--identity-schema'],
  ['identitiesFile', '--identities'],
  ['adminPort', '--identity-admin-port'],
]

/**
 * `start`'s Ory endpoint: the one flags or environment select, else the built-in identity server,
 * started now on a loopback port (the built-in server's flags only make sense then).
 */
export async function endpointOrBuiltIn(
  selected: ResolvedEndpoint | undefined,
  flags: BuiltInFlags,
  logger: Logger,
): Promise<{ endpoint: ResolvedEndpoint; identity?: BuiltInIdentity }> {
  if (selected !== undefined) {
    const given = BUILT_IN_FLAGS.find(([key]) => flags[key] !== undefined)?.[1]
    if (given !== undefined) {
      throw new ConfigError(`${given} is for the built-in identity server, but ${selected.label} selects an Ory endpoint`)
    }
    return { endpoint: selected }
  }
  const server = await startBuiltInIdentity({
    port: 0,
    adminPort: flags.adminPort ?? 0,
    storeFile: flags.storeFile,
    schemaFile: flags.schemaFile,
    identitiesFile: flags.identitiesFile,
    adminToken: flags.adminToken,
    logger,
  })
  return {
    endpoint: { url: server.url, source: 'local', label: 'built-in identity server' },
    identity: {
      store: describeIdentityStore(server.storeFile),
      adminUrl: server.adminUrl,
      adminToken: server.adminToken,
      adminTokenFile: server.adminTokenFile,
      close: () => server.close(),
    },
  }
}
