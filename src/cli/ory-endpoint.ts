import { ConfigError } from '../errors.js'
import type { OrySource } from '../config.js'

/** Where the Ory endpoint may come from, as the command saw them. */
export interface EndpointInputs {
  /** `--project` given on the command line. */
  readonly projectFlag?: string | undefined
  /** `--sdk-url` given on the command line. */
  readonly sdkUrlFlag?: string | undefined
  readonly env: Readonly<Record<string, string | undefined>>
}

export interface ResolvedEndpoint {
  readonly url: string
  readonly source: OrySource
  /** How the user selected it, for banners and errors: `--project my-slug`, `$ORY_SDK_URL`. */
  readonly label: string
}

interface Candidate {
  readonly kind: 'project' | 'sdk-url'
  readonly value: string
  readonly label: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

/**
 * Picks the Ory endpoint: command-line flags beat environment variables; two different endpoints
 * at the same level are an error naming both (as ory proxy refuses a project key plus a project
 * flag). Returns undefined when nothing selects one.
 */
export function resolveOryEndpoint(inputs: EndpointInputs): ResolvedEndpoint | undefined {
  const flags: Candidate[] = []
  if (inputs.projectFlag) flags.push({ kind: 'project', value: inputs.projectFlag, label: '--project' })
  if (inputs.sdkUrlFlag) flags.push({ kind: 'sdk-url', value: inputs.sdkUrlFlag, label: '--sdk-url' })
  const env: Candidate[] = []
  for (const [name, kind] of [
    ['ORY_PROJECT', 'project'],
    ['ORY_PROJECT_SLUG', 'project'],
    ['ORY_SDK_URL', 'sdk-url'],
    ['ORY_KRATOS_URL', 'sdk-url'],
  ] as const) {
    const value = inputs.env[name]
    if (value) env.push({ kind, value, label: `$${name}` })
  }
  const chosen = pickOne(flags) ?? pickOne(env)
  if (chosen === undefined) return undefined
  if (chosen.kind === 'sdk-url') return { url: chosen.value, source: 'sdk-url', label: chosen.label }
  return {
    url: projectUrl(chosen.value, chosen.label, inputs.env.ORY_ORYAPIS_URL),
    source: 'project',
    label: chosen.label,
  }
}

function pickOne(candidates: Candidate[]): Candidate | undefined {
  const first = candidates[0]
  if (first === undefined) return undefined
  for (const other of candidates.slice(1)) {
    if (other.kind !== first.kind || other.value !== first.value) {
      throw new ConfigError(
        `${first.label} (${first.value}) and ${other.label} (${other.value}) both select the Ory endpoint; remove one`,
      )
    }
  }
  return first
}

/** ory proxy: `https://<slug>.projects.<host of ORY_ORYAPIS_URL>`, with `:443` trimmed. */
function projectUrl(project: string, label: string, oryApisUrl: string | undefined): string {
  if (UUID.test(project)) {
    throw new ConfigError(
      `${label} is a project ID; ory-proxy needs the project slug (e.g. affectionate-archimedes-s9mkjq3ci1), shown in the Ory Console`,
    )
  }
  if (!SLUG.test(project)) {
    throw new ConfigError(`${label} must be a project slug such as affectionate-archimedes-s9mkjq3ci1, got "${project}"`)
  }
  let base: URL
  try {
    base = new URL(oryApisUrl ?? 'https://oryapis.com')
  } catch (cause) {
    throw new ConfigError(`$ORY_ORYAPIS_URL must be a URL such as https://oryapis.com, got "${oryApisUrl}"`, { cause })
  }
  return `${base.protocol}//${project}.projects.${base.host.replace(/:443$/, '')}`
}
