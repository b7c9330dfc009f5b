import { userInfo } from 'node:os'
import { ConfigError } from '../errors.js'
import type { Logger } from '../logger.js'
import { defaultOryCliConfigPath, readOryCliConfig, type OryCliConfig } from './ory-cli-config.js'
import { selectOryEndpoint, type ResolvedEndpoint } from './ory-endpoint.js'
import { consoleCredential, resolveProject, type ProjectInputs, type Selected } from './project-resolution.js'
import { createTemporaryApiKey } from './temporary-api-key.js'
import type { OryRequestOptions } from '../server/upstream-headers.js'

export interface OryConnectionInputs {
  /** Given on the command line (not from the environment). */
  readonly projectFlag: string | undefined
  readonly sdkUrlFlag: string | undefined
  readonly workspaceFlag: string | undefined
  /** `-c` or `$ORY_CONFIG_PATH`: read at once, and an error when missing. */
  readonly configPath: string | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  /** The home directory, for the Ory CLI's default `~/.ory-cloud.json`. */
  readonly home: string
  readonly apiKeyExpiryMs: number
  readonly logger: Logger
}

/** What `build` made of the endpoint, what Ory-bound requests carry, and the clean-up for shutdown. */
export interface OryConnection<T> {
  readonly built: T
  /** For the proxy: `Ory-Base-URL-Rewrite-Token` and `Ory-RateLimit-Action`. */
  readonly oryRequest: OryRequestOptions
  /** Deletes the temporary API key, if one was made. Never rejects; once only. */
  release(): Promise<void>
}

const NOTHING_TO_RELEASE = (): Promise<void> => Promise.resolve()

/**
 * Resolves the Ory endpoint the way `ory proxy` does, flag > environment > the Ory CLI's config
 * file: `--sdk-url` as it is, or an Ory Network project (through the console API when a key or
 * login is there); hands it to `build` (undefined when nothing selects one), and only once that
 * succeeded settles the key Ory gets: `$ORY_PROJECT_API_KEY`, else a temporary key made now and
 * deleted by `release()`. Bad input therefore never creates a key.
 */
export async function connectOry<T>(
  inputs: OryConnectionInputs,
  build: (endpoint: ResolvedEndpoint | undefined) => T | Promise<T>,
): Promise<OryConnection<T>> {
  const { env, logger } = inputs
  const rateLimitAction = env.ORY_RATE_LIMIT_HEADER || undefined
  const explicitConfig = inputs.configPath === undefined ? undefined : readOryCliConfig(inputs.configPath, true)
  const selection = selectOryEndpoint({ projectFlag: inputs.projectFlag, sdkUrlFlag: inputs.sdkUrlFlag, env })
  if (selection?.source === 'sdk-url') {
    return { built: await build(selection), oryRequest: { rateLimitAction }, release: NOTHING_TO_RELEASE }
  }
  const projectApiKey = env.ORY_PROJECT_API_KEY || undefined
  const config = explicitConfig ?? (projectApiKey ? undefined : readOryCliConfig(defaultOryCliConfigPath(inputs.home), false))
  const now = Date.now()
  const base = { projectApiKey, workspaceApiKey: env.ORY_WORKSPACE_API_KEY || undefined, config, now }
  const consoleUrl = consoleApiUrl(env)
  // The console client (and undici's entry point with it, ~100 ms) loads only when a credential
  // can reach the console, the one case in which resolveProject opens it.
  const credential = consoleCredential(base)
  const { ConsoleApi } = credential === undefined ? { ConsoleApi: undefined } : await import('./console-api.js')
  const resolved = await resolveProject(
    {
      ...base,
      project: projectSelection(selection, config, credential !== undefined, logger),
      workspace: workspaceSelection(inputs.workspaceFlag, env, config),
      oryApisUrl: env.ORY_ORYAPIS_URL,
    },
    (given) => new ConsoleApi!({ baseUrl: consoleUrl, token: given.token, tokenSource: given.source, rateLimitAction }),
  )
  let built: T
  try {
    built = await build(resolved?.endpoint)
  } catch (error) {
    await resolved?.console?.close()
    throw error
  }
  if (resolved === undefined) return { built, oryRequest: { rateLimitAction }, release: NOTHING_TO_RELEASE }
  if (resolved.projectApiKey !== undefined || resolved.console === undefined || resolved.id === undefined) {
    await resolved.console?.close()
    if (resolved.projectApiKey === undefined) {
      logger.info(
        'note: no Ory API key, so none is sent to Ory as Ory-Base-URL-Rewrite-Token: social sign-in and links in emails lead to Ory, not to the proxy. Set ORY_PROJECT_API_KEY or ORY_WORKSPACE_API_KEY for them.',
      )
    }
    return { built, oryRequest: { baseUrlRewriteToken: resolved.projectApiKey, rateLimitAction }, release: NOTHING_TO_RELEASE }
  }
  const key = await createTemporaryApiKey(resolved.console, {
    projectId: resolved.id,
    projectSlug: resolved.slug,
    expiryMs: inputs.apiKeyExpiryMs,
    userName: config?.userName ?? osUserName(),
    logger,
  })
  return { built, oryRequest: { baseUrlRewriteToken: key?.value, rateLimitAction }, release: key?.release ?? NOTHING_TO_RELEASE }
}

/**
 * Flags and environment first; the config file's selected project only when a credential can look
 * it up (a stale file must not stand in the way of `--sdk-url`-less starts).
 */
function projectSelection(
  selection: ReturnType<typeof selectOryEndpoint>,
  config: OryCliConfig | undefined,
  hasCredential: boolean,
  logger: Logger,
): ProjectInputs['project'] {
  if (selection?.source === 'project') {
    return { value: selection.project, label: selection.label, fromFile: false, fromFlag: selection.fromFlag }
  }
  const fromFile = config?.selectedProject
  if (fromFile === undefined) return undefined
  if (!hasCredential) {
    logger.info(`note: not using selected_project of ${config!.path}: it has no valid login; set ORY_WORKSPACE_API_KEY or pass --project`)
    return undefined
  }
  return { value: fromFile, label: `selected_project in ${config!.path}`, fromFile: true, fromFlag: false }
}

function workspaceSelection(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  config: OryCliConfig | undefined,
): Selected | undefined {
  if (flag) return { value: flag.trim(), label: '--workspace', fromFile: false }
  if (env.ORY_WORKSPACE) return { value: env.ORY_WORKSPACE.trim(), label: '$ORY_WORKSPACE', fromFile: false }
  const fromFile = config?.selectedWorkspace
  return fromFile === undefined ? undefined : { value: fromFile, label: `selected_workspace in ${config!.path}`, fromFile: true }
}

/**
 * `$ORY_CONSOLE_API_URL` as it is (self-hosted consoles, tests); otherwise the Ory CLI's rule:
 * `api.` before the host of `$ORY_CONSOLE_URL` (default `https://console.ory.com`).
 */
export function consoleApiUrl(env: Readonly<Record<string, string | undefined>>): string {
  const [name, text] = env.ORY_CONSOLE_API_URL
    ? ['ORY_CONSOLE_API_URL', env.ORY_CONSOLE_API_URL]
    : ['ORY_CONSOLE_URL', env.ORY_CONSOLE_URL || 'https://console.ory.com']
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new ConfigError(`$${name} must be an absolute http(s) URL, got "${text}"`, { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`$${name} must use http or https, got "${text}"`)
  if (name === 'ORY_CONSOLE_API_URL') return url.origin + url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//api.${url.host}`
}

/** The Ory CLI names the key after the signed-in user, else the OS user. */
function osUserName(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
