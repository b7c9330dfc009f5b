import { Agent, request, type Dispatcher } from 'undici'
import { DEFAULTS } from '../config.js'
import { connectOption } from '../egress/connect.js'
import { egressProxyFor } from '../egress/proxy-env.js'
import { ProxyError } from '../errors.js'

/** A project as the console lists it (`ProjectMetadata` / `Project` in Ory's client SDKs). */
export interface ConsoleProject {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly workspaceId: string | undefined
}

export interface ConsoleWorkspace {
  readonly id: string
  readonly name: string
}

/** A project API key as `POST /projects/{project}/tokens` returns it; `value` is shown only once. */
export interface CreatedApiKey {
  readonly id: string
  readonly name: string
  readonly value: string
}

export interface ConsoleApiOptions {
  /** The console API base, e.g. `https://api.console.ory.com`. */
  readonly baseUrl: string
  /** Bearer token: a workspace or project API key, or the Ory CLI's login token. */
  readonly token: string
  /** Where the token came from, for messages: `$ORY_WORKSPACE_API_KEY`. */
  readonly tokenSource: string
  /** `Ory-RateLimit-Action` ($ORY_RATE_LIMIT_HEADER), sent on console calls as the Ory CLI does. */
  readonly rateLimitAction?: string | undefined
  readonly timeoutMs?: number | undefined
}

/** Larger console answers are refused rather than buffered. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024
/** `GET /workspaces` is paged; a member of more than this many pages of workspaces should pass an ID. */
const MAX_WORKSPACE_PAGES = 20

interface Answer {
  readonly status: number
  readonly body: unknown
}

/**
 * The few Ory console API calls `ory proxy` makes (`ProjectAPI` and `WorkspaceAPI` of ory/client):
 * list and get projects, list workspaces and their projects, create and delete project API keys.
 * One undici Agent of its own, a deadline per call, and every failure as `ERR_CONSOLE_API` naming
 * the call and the answer.
 */
export class ConsoleApi {
  readonly baseUrl: string
  readonly tokenSource: string
  readonly #agent: Agent
  readonly #headers: Record<string, string>
  readonly #timeoutMs: number

  constructor(options: ConsoleApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.tokenSource = options.tokenSource
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.consoleTimeoutMs
    this.#agent = new Agent({
      connect: connectOption(egressProxyFor(new URL(this.baseUrl))?.href, this.#timeoutMs),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    })
    this.#headers = {
      accept: 'application/json',
      authorization: `Bearer ${options.token}`,
      'user-agent': 'ory-proxy',
    }
    if (options.rateLimitAction) this.#headers['ory-ratelimit-action'] = options.rateLimitAction
  }

  /** `GET /projects`: every project the token can see. */
  async listProjects(): Promise<ConsoleProject[]> {
    const { body } = await this.#call('GET', '/projects')
    return this.#list(body, 'GET /projects', toProject)
  }

  /** `GET /workspaces/{id}/projects`. */
  async listWorkspaceProjects(workspaceId: string): Promise<ConsoleProject[]> {
    const path = `/workspaces/${encodeURIComponent(workspaceId)}/projects`
    const { body } = await this.#call('GET', path)
    return this.#list((body as { projects?: unknown } | null)?.projects, `GET ${path}`, toProject)
  }

  /** `GET /projects/{id}`; undefined when the console answers 404. */
  async getProject(id: string): Promise<ConsoleProject | undefined> {
    const path = `/projects/${encodeURIComponent(id)}`
    const answer = await this.#call('GET', path, undefined, true)
    if (answer.status === 404) return undefined
    const project = toProject(answer.body)
    if (project === undefined) throw this.#malformed(`GET ${path}`)
    return project
  }

  /** `GET /workspaces`, following `next_page_token` for a bounded number of pages. */
  async listWorkspaces(): Promise<ConsoleWorkspace[]> {
    const all: ConsoleWorkspace[] = []
    let token = ''
    for (let page = 0; page < MAX_WORKSPACE_PAGES; page++) {
      const path = token === '' ? '/workspaces' : `/workspaces?page_token=${encodeURIComponent(token)}`
      const { body } = await this.#call('GET', path)
      const answer = body as { workspaces?: unknown; has_next_page?: unknown; next_page_token?: unknown } | null
      all.push(...this.#list(answer?.workspaces, 'GET /workspaces', toWorkspace))
      if (answer?.has_next_page !== true || typeof answer.next_page_token !== 'string' || answer.next_page_token === '') {
        break
      }
      token = answer.next_page_token
    }
    return all
  }

  /** `POST /projects/{project}/tokens` with `{ name, expires_at }` (no `expires_at`: never expires). */
  async createProjectApiKey(projectId: string, name: string, expiresAt: Date | undefined): Promise<CreatedApiKey> {
    const path = `/projects/${encodeURIComponent(projectId)}/tokens`
    const payload = expiresAt === undefined ? { name } : { name, expires_at: expiresAt.toISOString() }
    const { body } = await this.#call('POST', path, JSON.stringify(payload))
    const key = body as { id?: unknown; name?: unknown; value?: unknown } | null
    if (typeof key?.id !== 'string' || typeof key.value !== 'string' || key.value === '') {
      throw this.#malformed(`POST ${path}`)
    }
    return { id: key.id, name: typeof key.name === 'string' ? key.name : name, value: key.value }
  }

  /** `DELETE /projects/{project}/tokens/{id}`. */
  async deleteProjectApiKey(projectId: string, keyId: string): Promise<void> {
    await this.#call('DELETE', `/projects/${encodeURIComponent(projectId)}/tokens/${encodeURIComponent(keyId)}`)
  }

  /** Closes the connections; calls after this fail. */
  close(): Promise<void> {
    return this.#agent.close()
  }

  async #call(method: Dispatcher.HttpMethod, path: string, payload?: string, allowNotFound = false): Promise<Answer> {
    const what = `${method} ${path.split('?')[0]}`
    let response: Dispatcher.ResponseData
    let text: string
    try {
      response = await request(this.baseUrl + path, {
        method,
        dispatcher: this.#agent,
        headers: payload === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      text = await readBounded(response.body)
    } catch (cause) {
      if (cause instanceof ProxyError) throw cause
      throw new ProxyError(
        'ERR_CONSOLE_API',
        `the Ory console API at ${this.baseUrl} did not answer ${what}: ${reasonOf(cause)}`,
        { cause },
      )
    }
    const status = response.statusCode
    if (status === 404 && allowNotFound) return { status, body: undefined }
    if (status < 200 || status >= 300) {
      const hint = status === 401 || status === 403 ? `; check ${this.tokenSource}` : ''
      throw new ProxyError(
        'ERR_CONSOLE_API',
        `the Ory console API at ${this.baseUrl} answered ${what} with ${status}${errorDetail(text)}${hint}`,
      )
    }
    if (text === '') return { status, body: undefined }
    try {
      return { status, body: JSON.parse(text) as unknown }
    } catch (cause) {
      throw new ProxyError('ERR_CONSOLE_API', `the Ory console API at ${this.baseUrl} answered ${what} with something other than JSON`, {
        cause,
      })
    }
  }

  #list<T>(items: unknown, what: string, convert: (item: unknown) => T | undefined): T[] {
    if (!Array.isArray(items)) throw this.#malformed(what)
    const out: T[] = []
    for (const item of items) {
      const converted = convert(item)
      if (converted === undefined) throw this.#malformed(what)
      out.push(converted)
    }
    return out
  }

  #malformed(what: string): ProxyError {
    return new ProxyError('ERR_CONSOLE_API', `the Ory console API at ${this.baseUrl} answered ${what} in an unexpected shape`)
  }
}

function toProject(item: unknown): ConsoleProject | undefined {
  const p = item as { id?: unknown; slug?: unknown; name?: unknown; workspace_id?: unknown } | null
  if (typeof p?.id !== 'string' || typeof p.slug !== 'string') return undefined
  return {
    id: p.id,
    slug: p.slug,
    name: typeof p.name === 'string' ? p.name : '',
    workspaceId: typeof p.workspace_id === 'string' ? p.workspace_id : undefined,
  }
}

function toWorkspace(item: unknown): ConsoleWorkspace | undefined {
  const w = item as { id?: unknown; name?: unknown } | null
  if (typeof w?.id !== 'string') return undefined
  return { id: w.id, name: typeof w.name === 'string' ? w.name : '' }
}

async function readBounded(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > MAX_ANSWER_BYTES) {
      body.destroy()
      throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Ory's error envelope (`{"error":{"message","reason"}}`) in one line, or the start of the body. */
function errorDetail(text: string): string {
  let detail = text
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; reason?: unknown } }
    const parts = [parsed.error?.message, parsed.error?.reason].filter((p): p is string => typeof p === 'string' && p !== '')
    if (parts.length > 0) detail = parts.join(': ')
  } catch {
    // not JSON: the raw text
  }
  detail = detail.replace(/\s+/g, ' ').trim().slice(0, 200)
  return detail === '' ? '' : ` (${detail})`
}

function reasonOf(cause: unknown): string {
  const error = cause as { code?: unknown; name?: unknown; message?: unknown }
  if (error?.name === 'TimeoutError') return 'no answer in time'
  if (typeof error?.code === 'string') return error.code
  return typeof error?.message === 'string' ? error.message : String(cause)
}
