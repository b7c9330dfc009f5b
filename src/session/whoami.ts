import type { Pool as PoolType } from 'undici'
import type { Upstream } from '../config.js'
import { connectOption } from '../egress/connect.js'
import { ProxyError } from '../errors.js'
import { isStaleConnection } from '../server/upstream-errors.js'
import { Pool, requestOf } from '../undici-parts.js'
import type { Credentials } from './credentials.js'
import type { SessionEvents, WhoamiOutcome } from './events.js'

/** What whoami said about an active session. */
export interface ActiveSession {
  /** `identity.id`: never empty (checklist b18). */
  readonly sub: string
  /** whoami's JSON text, embedded verbatim in the JWT's `session` claim. */
  readonly session: string
  /** `expires_at` in ms since the epoch, when Ory sent one. */
  readonly expiresAt: number | undefined
}

/**
 * The request a whoami call is made for: its id and W3C trace context go along, so one trace
 * spans browser → proxy → Ory.
 */
export interface CallContext {
  readonly requestId: string
  readonly traceparent: string | undefined
  readonly tracestate: string | undefined
}

export interface WhoamiOptions {
  /** Total time for the whole exchange, retry included; then the request gets 503. */
  readonly timeoutMs: number
  /** Longer bodies are a malformed answer (checklist b18). */
  readonly maxBodyBytes?: number | undefined
  readonly connections?: number | undefined
  /** Told how each call ended and how long it took (metrics). */
  readonly events?: Pick<SessionEvents, 'whoamiAnswered'> | undefined
}

export const DEFAULT_MAX_WHOAMI_BYTES = 1024 * 1024

/**
 * Asks Ory's `/sessions/whoami` about one set of credentials, through its own undici pool with an
 * explicit total deadline. Active → the session; 401/403 or `active:false` → undefined (anonymous);
 * anything else — refused, slow, 5xx, 429, malformed or oversized — rejects with
 * `ERR_ORY_UNAVAILABLE` so the request fails closed.
 */
export class WhoamiClient {
  readonly #pool: PoolType
  readonly #path: string
  readonly #label: string
  readonly #timeoutMs: number
  readonly #events: Pick<SessionEvents, 'whoamiAnswered'> | undefined

  constructor(ory: Upstream, options: WhoamiOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#events = options.events
    this.#path = `${ory.pathPrefix}/sessions/whoami`
    this.#label = `Ory at ${ory.origin}${this.#path}`
    this.#pool = new Pool(ory.origin, {
      connections: options.connections ?? 64,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxResponseSize: options.maxBodyBytes ?? DEFAULT_MAX_WHOAMI_BYTES,
      keepAliveTimeout: 4_000,
      connect: connectOption(ory.proxy, options.timeoutMs),
    })
  }

  /** The active session behind `credentials`, or undefined when there is none. */
  async check(credentials: Credentials, context: CallContext): Promise<ActiveSession | undefined> {
    const started = this.#events === undefined ? 0 : performance.now()
    // Not AbortSignal.timeout: its timer outlives the answer by the whole timeout, then aborts the
    // signal anyway, building a DOMException and its stack (11-13 µs of CPU a call, against 3-4
    // for this timer, cleared as soon as the answer is in).
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new DOMException('whoami timed out', 'TimeoutError')), this.#timeoutMs).unref()
    const signal = deadline.signal
    let outcome: WhoamiOutcome = 'error'
    try {
      const session = await this.#askWithRetry(whoamiHeaders(credentials, context), signal)
      outcome = session === undefined ? 'inactive' : 'active'
      return session
    } catch (error) {
      if (signal.aborted) outcome = 'timeout'
      throw this.#unavailable(error, signal)
    } finally {
      clearTimeout(timer)
      if (started !== 0) this.#events!.whoamiAnswered(outcome, (performance.now() - started) / 1000)
    }
  }

  close(): Promise<void> {
    return this.#pool.destroy()
  }

  async #askWithRetry(headers: string[], signal: AbortSignal): Promise<ActiveSession | undefined> {
    try {
      return await this.#ask(headers, signal)
    } catch (error) {
      // A reused keep-alive socket Ory had just closed is worth one more try (checklist c6).
      if (!isStaleConnection(error) || signal.aborted) throw error
    }
    return this.#ask(headers, signal)
  }

  async #ask(headers: string[], signal: AbortSignal): Promise<ActiveSession | undefined> {
    const { statusCode, body } = await requestOf(this.#pool, { path: this.#path, method: 'GET', headers, signal })
    if (statusCode === 401 || statusCode === 403) {
      await body.dump()
      return undefined
    }
    if (statusCode !== 200) {
      await body.dump()
      throw new ProxyError('ERR_ORY_UNAVAILABLE', `${this.#label} answered ${statusCode}`)
    }
    return this.#parse(await body.text())
  }

  #parse(text: string): ActiveSession | undefined {
    let session: unknown
    try {
      session = JSON.parse(text)
    } catch (cause) {
      throw new ProxyError('ERR_ORY_UNAVAILABLE', `${this.#label} answered 200 with a body that is not JSON`, { cause })
    }
    if (session === null || typeof session !== 'object' || Array.isArray(session)) throw this.#malformed('not an object')
    const { active, identity, expires_at: expires } = session as Record<string, unknown>
    if (active === false) return undefined
    if (active !== true) throw this.#malformed('no boolean "active"')
    const id = identity !== null && typeof identity === 'object' ? (identity as { id?: unknown }).id : undefined
    if (typeof id !== 'string' || id === '') throw this.#malformed('an active session without identity.id')
    const expiresAt = typeof expires === 'string' ? Date.parse(expires) : Number.NaN
    return { sub: id, session: text.trim(), expiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt }
  }

  #malformed(what: string): ProxyError {
    return new ProxyError('ERR_ORY_UNAVAILABLE', `${this.#label} answered 200 with ${what}`)
  }

  #unavailable(error: unknown, signal: AbortSignal): ProxyError {
    if (signal.aborted) {
      return new ProxyError('ERR_ORY_UNAVAILABLE', `${this.#label} did not answer within ${this.#timeoutMs} ms`, {
        cause: error,
      })
    }
    if (error instanceof ProxyError) return error
    const code = codeOf(error)
    return new ProxyError(
      'ERR_ORY_UNAVAILABLE',
      code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE'
        ? `${this.#label} answered with a body over the size limit`
        : `${this.#label} could not be reached: ${code || (error as Error).message}`,
      { cause: error },
    )
  }
}

/**
 * Only the credentials, the request id and `Accept` (ory proxy's checkSession sends the same set),
 * plus the request's W3C trace context, unchanged.
 */
function whoamiHeaders(credentials: Credentials, context: CallContext): string[] {
  const headers = ['accept', 'application/json', 'x-request-id', context.requestId]
  if (context.traceparent !== undefined) headers.push('traceparent', context.traceparent)
  if (context.tracestate !== undefined) headers.push('tracestate', context.tracestate)
  if (credentials.cookie !== undefined) headers.push('cookie', credentials.cookie)
  if (credentials.sessionToken !== undefined) headers.push('x-session-token', credentials.sessionToken)
  if (credentials.authorization !== undefined) headers.push('authorization', credentials.authorization)
  return headers
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}
