import { ConfigError } from '../errors.js'
import type { ConsoleApi, ConsoleProject, ConsoleWorkspace } from './console-api.js'
import { UUID, type OryCliConfig } from './ory-cli-config.js'
import type { ResolvedEndpoint } from './ory-endpoint.js'

/** A value and where it came from (`--project`, `$ORY_PROJECT`, `selected_project in ~/.ory-cloud.json`). */
export interface Selected {
  readonly value: string
  readonly label: string
  /** From the config file: dropped, rather than an error, when no credential can look it up. */
  readonly fromFile: boolean
}

/** A bearer token for the console API and where it came from, for messages. */
export interface ConsoleCredential {
  readonly token: string
  readonly source: string
}

export interface ProjectInputs {
  /** `--project` > `$ORY_PROJECT` > the config file's selected project. */
  readonly project: (Selected & { readonly fromFlag: boolean }) | undefined
  /** `--workspace` > `$ORY_WORKSPACE` > the config file's selected workspace. */
  readonly workspace: Selected | undefined
  readonly projectApiKey: string | undefined
  readonly workspaceApiKey: string | undefined
  readonly config: OryCliConfig | undefined
  /** `$ORY_ORYAPIS_URL` (default `https://oryapis.com`). */
  readonly oryApisUrl: string | undefined
  readonly now: number
}

export interface ResolvedProject {
  readonly endpoint: ResolvedEndpoint
  readonly slug: string
  /** Known once the console was asked; a slug given without any key is used as it is. */
  readonly id: string | undefined
  /** `$ORY_PROJECT_API_KEY`: the Ory-Base-URL-Rewrite-Token as it is; no key is created. */
  readonly projectApiKey: string | undefined
  /** Open when a credential exists (the caller closes it). */
  readonly console: ConsoleApi | undefined
}

/** How an error lists candidates: at most this many, then "and N more". */
const MAX_LISTED = 10
const SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/
const MISSING_KEY_HELP =
  'set ORY_WORKSPACE_API_KEY (a workspace API key) or ORY_PROJECT_API_KEY; ory-proxy never opens a browser to sign in'

/**
 * Turns a project selection into the Ory URL `https://<slug>.projects.<ORY_ORYAPIS_URL host>`, as
 * `ory proxy` does: `$ORY_PROJECT_API_KEY` names its one project; otherwise a project ID, or a slug
 * or ID prefix, is looked up with the console API (narrowed to a workspace when one is selected),
 * and a slug given without any credential is used as it is. Returns undefined when nothing selects
 * a project.
 */
export async function resolveProject(
  inputs: ProjectInputs,
  openConsole: (credential: ConsoleCredential) => ConsoleApi,
): Promise<ResolvedProject | undefined> {
  if (inputs.projectApiKey) return projectOfKey(inputs, inputs.projectApiKey, openConsole)
  const project = inputs.project
  if (project === undefined) return undefined
  const credential = consoleCredential(inputs)
  // A workspace from the config file is dropped when nothing can look it up; a given one is not.
  const workspace = credential !== undefined || inputs.workspace?.fromFile !== true ? inputs.workspace : undefined
  if (credential === undefined) {
    if (workspace !== undefined) {
      throw missingKey(inputs, `${workspace.label} (${workspace.value}) is looked up in the Ory console`)
    }
    if (UUID.test(project.value)) {
      throw missingKey(inputs, `${project.label} (${project.value}) is a project ID, looked up in the Ory console`)
    }
    if (!SLUG.test(project.value)) {
      throw new ConfigError(
        `${project.label} must be a project slug such as affectionate-archimedes-s9mkjq3ci1, got "${project.value}"`,
      )
    }
    return resolved({ slug: project.value, id: undefined }, project.label, inputs.oryApisUrl, undefined, undefined)
  }
  return withConsole(openConsole(credential), async (console) => {
    const workspaceId = workspace === undefined ? undefined : await resolveWorkspace(console, workspace)
    const found = UUID.test(project.value)
      ? await projectById(console, project.value, workspaceId, workspace)
      : await projectByPrefix(console, project.value, workspaceId, workspace)
    return resolved(found, project.label, inputs.oryApisUrl, undefined, console)
  })
}

function resolved(
  project: { readonly slug: string; readonly id: string | undefined },
  label: string,
  oryApisUrl: string | undefined,
  projectApiKey: string | undefined,
  console: ConsoleApi | undefined,
): ResolvedProject {
  return { endpoint: projectEndpoint(project.slug, label, oryApisUrl), slug: project.slug, id: project.id, projectApiKey, console }
}

/** Runs `work` with an open console client, closing it when `work` fails (the caller closes it otherwise). */
async function withConsole<T>(console: ConsoleApi, work: (console: ConsoleApi) => Promise<T>): Promise<T> {
  try {
    return await work(console)
  } catch (error) {
    await console.close()
    throw error
  }
}

/** The console token in the Ory CLI's order: workspace key, project key, then its (unexpired) login. */
export function consoleCredential(
  inputs: Pick<ProjectInputs, 'workspaceApiKey' | 'projectApiKey' | 'config' | 'now'>,
): ConsoleCredential | undefined {
  if (inputs.workspaceApiKey) return { token: inputs.workspaceApiKey, source: '$ORY_WORKSPACE_API_KEY' }
  if (inputs.projectApiKey) return { token: inputs.projectApiKey, source: '$ORY_PROJECT_API_KEY' }
  const login = inputs.config?.login
  if (login !== undefined && (login.expiresAt === undefined || login.expiresAt > inputs.now)) {
    return { token: login.accessToken, source: `the Ory CLI login in ${inputs.config!.path}` }
  }
  return undefined
}

function missingKey(inputs: ProjectInputs, what: string): ConfigError {
  const login = inputs.config?.login
  const expired =
    login?.expiresAt !== undefined && login.expiresAt <= inputs.now
      ? ` (the Ory CLI login in ${inputs.config!.path} expired at ${new Date(login.expiresAt).toISOString()})`
      : ''
  return new ConfigError(`${what}, which needs an API key: ${MISSING_KEY_HELP}${expired}`)
}

/** ory proxy: a project API key belongs to one project, which it selects; `--project` and a workspace contradict it. */
async function projectOfKey(
  inputs: ProjectInputs,
  key: string,
  openConsole: (credential: ConsoleCredential) => ConsoleApi,
): Promise<ResolvedProject> {
  const project = inputs.project
  if (project?.fromFlag) {
    throw new ConfigError('ORY_PROJECT_API_KEY selects its own project; remove --project or unset ORY_PROJECT_API_KEY')
  }
  const workspace = inputs.workspace
  if (workspace !== undefined && !workspace.fromFile) {
    throw new ConfigError(`ORY_PROJECT_API_KEY selects its own project; remove ${workspace.label} or unset ORY_PROJECT_API_KEY`)
  }
  return withConsole(openConsole({ token: key, source: '$ORY_PROJECT_API_KEY' }), async (console) => {
    const projects = await console.listProjects()
    if (projects.length !== 1) {
      throw new ConfigError(
        `ORY_PROJECT_API_KEY should belong to exactly one project, but the Ory console API at ${console.baseUrl} lists ${projects.length} for it`,
      )
    }
    const own = projects[0]!
    if (project !== undefined && !project.fromFile && !startsAny(own, project.value)) {
      throw new ConfigError(`${project.label} (${project.value}) is not the project of ORY_PROJECT_API_KEY (${own.slug}); unset one`)
    }
    return resolved(own, '$ORY_PROJECT_API_KEY', inputs.oryApisUrl, key, console)
  })
}

async function projectById(
  console: ConsoleApi,
  id: string,
  workspaceId: string | undefined,
  workspace: Selected | undefined,
): Promise<ConsoleProject> {
  const project = await console.getProject(id)
  if (project === undefined) {
    throw new ConfigError(
      `no project with ID ${id}: the Ory console API at ${console.baseUrl} answered 404 to GET /projects/${id} (asked with ${console.tokenSource})`,
    )
  }
  if (workspaceId !== undefined && project.workspaceId !== workspaceId) {
    throw new ConfigError(`project ${id} (${project.slug}) is not in workspace ${workspace!.value} (${workspace!.label})`)
  }
  return project
}

async function projectByPrefix(
  console: ConsoleApi,
  wanted: string,
  workspaceId: string | undefined,
  workspace: Selected | undefined,
): Promise<ConsoleProject> {
  const projects = workspaceId === undefined ? await console.listProjects() : await console.listWorkspaceProjects(workspaceId)
  const where =
    workspaceId === undefined
      ? `among the ${projects.length} projects ${console.tokenSource} can see at ${console.baseUrl}`
      : `among the ${projects.length} projects of workspace ${workspace!.value} at ${console.baseUrl}`
  return pickOne(projects, wanted, (p) => [p.slug, p.id], (p) => `${p.slug} (${p.id})`, 'project', where)
}

/** A workspace ID is taken as it is; a name or ID prefix is looked up (`GET /workspaces`). */
async function resolveWorkspace(console: ConsoleApi, workspace: Selected): Promise<string> {
  if (UUID.test(workspace.value)) return workspace.value
  const workspaces = await console.listWorkspaces()
  const where = `among the ${workspaces.length} workspaces ${console.tokenSource} can see at ${console.baseUrl}`
  const describe = (w: ConsoleWorkspace) => `${w.name} (${w.id})`
  const found = pickOne(workspaces, workspace.value, (w) => [w.name, w.id], describe, 'workspace', where)
  return found.id
}

/**
 * The one item whose name or ID equals `wanted`, else the one that starts with it (case-insensitive).
 * None or several: an error listing what was there, as the Ory CLI's `findProject` does.
 */
function pickOne<T>(
  items: readonly T[],
  wanted: string,
  keys: (item: T) => readonly string[],
  describe: (item: T) => string,
  kind: string,
  where: string,
): T {
  const lower = wanted.toLowerCase()
  const exact = items.filter((item) => keys(item).some((key) => key.toLowerCase() === lower))
  if (exact.length === 1) return exact[0]!
  const matching = exact.length > 1 ? exact : items.filter((item) => keys(item).some((key) => key.toLowerCase().startsWith(lower)))
  if (matching.length === 1) return matching[0]!
  if (matching.length === 0) {
    const known = items.length === 0 ? 'there are none' : `known: ${listed(items, describe)}`
    throw new ConfigError(`no ${kind} matches "${wanted}" ${where}; ${known}`)
  }
  throw new ConfigError(`"${wanted}" matches ${matching.length} ${kind}s ${where}; use more characters: ${listed(matching, describe)}`)
}

function listed<T>(items: readonly T[], describe: (item: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map(describe).join(', ')
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown
}

function startsAny(project: ConsoleProject, value: string): boolean {
  const lower = value.toLowerCase()
  return project.slug.toLowerCase().startsWith(lower) || project.id.toLowerCase().startsWith(lower)
}

/** ory proxy: `<scheme>://<slug>.projects.<host of ORY_ORYAPIS_URL>`, with `:443` trimmed. */
function projectEndpoint(slug: string, label: string, oryApisUrl: string | undefined): ResolvedEndpoint {
  let base: URL
  try {
    base = new URL(oryApisUrl || 'https://oryapis.com')
  } catch (cause) {
    throw new ConfigError(`$ORY_ORYAPIS_URL must be a URL such as https://oryapis.com, got "${oryApisUrl}"`, { cause })
  }
  return { url: `${base.protocol}//${slug}.projects.${base.host.replace(/:443$/, '')}`, source: 'project', label }
}
