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

/** An Ory endpoint ready for the proxy config. */
export interface ResolvedEndpoint {
  readonly url: string
  readonly source: OrySource
  /** How the user selected it, for banners and errors: `--project my-slug`, `$ORY_SDK_URL`. */
  readonly label: string
}

/**
 * What flags or environment select, before an Ory Network project is looked up: an Ory-compatible
 * URL as it is, or a project slug, ID or prefix of either (see `project-resolution.ts`).
 */
export type EndpointSelection =
  | { readonly source: 'sdk-url'; readonly url: string; readonly label: string }
  | { readonly source: 'project'; readonly project: string; readonly label: string; readonly fromFlag: boolean }

interface Candidate {
  readonly kind: 'project' | 'sdk-url'
  readonly value: string
  readonly label: string
}

/** Project slugs are lower-case words and digits joined by dashes; IDs are UUIDs. Prefixes of either pass. */
const PROJECT_REFERENCE = /^[A-Za-z0-9-]+$/

/**
 * Picks the Ory endpoint: command-line flags beat environment variables; two different endpoints
 * at the same level are an error naming both (as ory proxy refuses a project key plus a project
 * flag). Returns undefined when nothing selects one.
 */
export function selectOryEndpoint(inputs: EndpointInputs): EndpointSelection | undefined {
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
  if (chosen.kind === 'sdk-url') return { source: 'sdk-url', url: chosen.value, label: chosen.label }
  const project = chosen.value.trim()
  if (!PROJECT_REFERENCE.test(project)) {
    throw new ConfigError(
      `${chosen.label} must be a project slug or ID (or the start of one), such as affectionate-archimedes-s9mkjq3ci1, got "${chosen.value}"`,
    )
  }
  return { source: 'project', project, label: chosen.label, fromFlag: chosen.label === '--project' }
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

