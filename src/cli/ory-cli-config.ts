import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'

/** What ory-proxy takes from the Ory CLI's config file (`~/.ory-cloud.json`, written by `ory auth`). */
export interface OryCliConfig {
  readonly path: string
  /** `selected_project`, unless it is the nil UUID Go writes for "none". */
  readonly selectedProject: string | undefined
  readonly selectedWorkspace: string | undefined
  /** The console login (`access_token`), if any. */
  readonly login: OryCliLogin | undefined
  /** `session_identity_traits.name`, used to name the temporary API key as the Ory CLI does. */
  readonly userName: string | undefined
}

export interface OryCliLogin {
  readonly accessToken: string
  /** Epoch ms of `expiry`; undefined when the token has none. */
  readonly expiresAt: number | undefined
}

/** An RFC 9562 UUID in its canonical text form (how Ory writes project and workspace IDs). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** The Ory CLI v1 writes `"version": "v1"`; older files need `ory auth login` again. */
const SUPPORTED_VERSION = 'v1'
const NIL_UUID = '00000000-0000-0000-0000-000000000000'
/** The Ory CLI's own file name in the home directory. */
const DEFAULT_FILE_NAME = '.ory-cloud.json'

/** `~/.ory-cloud.json`, where the Ory CLI keeps its config when `$ORY_CONFIG_PATH` is unset. */
export function defaultOryCliConfigPath(home: string): string {
  return join(home, DEFAULT_FILE_NAME)
}

/**
 * Reads an Ory CLI config file. A missing file, or one of another version, is undefined when
 * `required` is false (the default location) and an error naming the path otherwise (`-c`,
 * `$ORY_CONFIG_PATH`); an unreadable or malformed file is always an error naming the path.
 */
export function readOryCliConfig(path: string, required: boolean): OryCliConfig | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return undefined
    throw new ConfigError(`--config ${path} cannot be read: ${code ?? (cause as Error).message}`, { cause })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new ConfigError(`--config ${path} is not JSON: ${(cause as Error).message}`, { cause })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`--config ${path} must hold a JSON object (the Ory CLI's config file)`)
  }
  const file = parsed as Record<string, unknown>
  if (file.version !== SUPPORTED_VERSION) {
    // As the Ory CLI: a file of another version at the default place counts as no file.
    if (!required) return undefined
    throw new ConfigError(
      `--config ${path} has version ${JSON.stringify(file.version ?? null)}; ory-proxy reads version "${SUPPORTED_VERSION}" files, as written by \`ory auth login\` of Ory CLI v1`,
    )
  }
  return {
    path,
    selectedProject: uuidField(file, 'selected_project', path),
    selectedWorkspace: uuidField(file, 'selected_workspace', path),
    login: loginOf(file.access_token, path),
    userName: nameOf(file.session_identity_traits),
  }
}

function uuidField(file: Record<string, unknown>, name: string, path: string): string | undefined {
  const value = file[name]
  if (value === undefined || value === null || value === '' || value === NIL_UUID) return undefined
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new ConfigError(`--config ${path}: ${name} must be a UUID, got ${JSON.stringify(value)}`)
  }
  return value
}

/** Go's `oauth2.Token` as JSON: `{ access_token, token_type, refresh_token, expiry }`. */
function loginOf(value: unknown, path: string): OryCliLogin | undefined {
  if (value === undefined || value === null) return undefined
  const token = value as { access_token?: unknown; expiry?: unknown }
  if (typeof token !== 'object' || typeof token.access_token !== 'string') {
    throw new ConfigError(`--config ${path}: access_token must be an object with an access_token string`)
  }
  if (token.access_token === '') return undefined
  let expiresAt: number | undefined
  if (typeof token.expiry === 'string' && token.expiry !== '' && !token.expiry.startsWith('0001-')) {
    expiresAt = Date.parse(token.expiry)
    if (Number.isNaN(expiresAt)) throw new ConfigError(`--config ${path}: access_token.expiry is not a time: "${token.expiry}"`)
  }
  return { accessToken: token.access_token, expiresAt }
}

function nameOf(traits: unknown): string | undefined {
  const name = (traits as { name?: unknown } | null | undefined)?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}
