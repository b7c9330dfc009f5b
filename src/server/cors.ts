import type { CorsConfig } from '../config.js'

/** ory proxy's rs/cors options: these methods, these request headers, these exposed headers. */
const ALLOWED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
const ALLOWED_HEADERS = [
  'accept',
  'content-type',
  'content-length',
  'accept-language',
  'content-language',
  'authorization',
  'x-csrf-token',
]
const EXPOSED_HEADERS =
  'Set-Cookie, Cache-Control, Expires, Last-Modified, Pragma, Content-Length, Content-Language, Content-Type'
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'

/** One origin pattern with at most one `*`, split around it. */
interface OriginPattern {
  readonly prefix: string
  readonly suffix: string
  readonly wildcard: boolean
}

export interface CorsDecision {
  readonly allowed: boolean
  readonly reason: string
}

// The three possible answers, made once: deciding allocates nothing per request.
const ALLOW_ALL: CorsDecision = Object.freeze({ allowed: true, reason: 'every origin is allowed' })
const LISTED: CorsDecision = Object.freeze({ allowed: true, reason: 'origin is in --allowed-cors-origins' })
const UNLISTED: CorsDecision = Object.freeze({ allowed: false, reason: 'origin is not in --allowed-cors-origins' })

/**
 * CORS as ory proxy answers it: every origin echoed with credentials by default, or an allow-list
 * with `*` wildcards (plus the publish-url); preflights answered here and never forwarded.
 * Unlike rs/cors, a bare `*` means any origin and `X-*` header patterns work.
 */
export class CorsPolicy {
  readonly #allowAll: boolean
  readonly #origins: readonly OriginPattern[]
  readonly #exactHeaders: ReadonlySet<string>
  readonly #headerPrefixes: readonly string[]
  readonly #anyHeader: boolean

  constructor(config: CorsConfig, publishOrigin: string) {
    this.#allowAll = config.allowAll
    this.#origins = [...config.origins, publishOrigin.toLowerCase()].map(toPattern)
    const exact = new Set(ALLOWED_HEADERS)
    const prefixes: string[] = []
    let any = false
    for (const header of config.additionalHeaders) {
      if (header === '*') any = true
      else if (header.endsWith('*')) prefixes.push(header.slice(0, -1))
      else exact.add(header)
    }
    this.#exactHeaders = exact
    this.#headerPrefixes = prefixes
    this.#anyHeader = any
  }

  /** Whether `origin` may read responses with credentials. */
  decide(origin: string): CorsDecision {
    if (this.#allowAll) return ALLOW_ALL
    const lower = origin.toLowerCase()
    for (const pattern of this.#origins) {
      if (matches(pattern, lower)) return LISTED
    }
    return UNLISTED
  }

  allowsOrigin(origin: string): boolean {
    return this.decide(origin).allowed
  }

  /**
   * Headers for a non-preflight response: `Vary: Origin` always, and the allow headers when the
   * origin and method are allowed. Pushed onto `into` (a flat header list).
   */
  addResponseHeaders(into: string[], origin: string | undefined, method: string): void {
    into.push('vary', 'Origin')
    if (origin === undefined || !ALLOWED_METHODS.has(method) || !this.allowsOrigin(origin)) return
    into.push(
      'access-control-allow-origin',
      origin,
      'access-control-allow-credentials',
      'true',
      'access-control-expose-headers',
      EXPOSED_HEADERS,
    )
  }

  /**
   * The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`): always 204; the
   * allow headers only when origin, method and every requested header are allowed.
   */
  preflightHeaders(origin: string | undefined, method: string, requestHeaders: string | undefined): string[] {
    const headers = ['vary', PREFLIGHT_VARY]
    if (origin === undefined || !this.allowsOrigin(origin)) return headers
    if (!ALLOWED_METHODS.has(method.toUpperCase())) return headers
    const requested = (requestHeaders ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '')
    if (!requested.every((name) => this.#allowsHeader(name.toLowerCase()))) return headers
    headers.push('access-control-allow-origin', origin, 'access-control-allow-credentials', 'true')
    headers.push('access-control-allow-methods', method.toUpperCase())
    if (requested.length > 0) headers.push('access-control-allow-headers', requested.join(', '))
    return headers
  }

  #allowsHeader(name: string): boolean {
    if (this.#anyHeader || this.#exactHeaders.has(name)) return true
    return this.#headerPrefixes.some((prefix) => name.startsWith(prefix))
  }
}

function toPattern(origin: string): OriginPattern {
  const star = origin.indexOf('*')
  if (star === -1) return { prefix: origin, suffix: '', wildcard: false }
  return { prefix: origin.slice(0, star), suffix: origin.slice(star + 1), wildcard: true }
}

function matches(pattern: OriginPattern, origin: string): boolean {
  if (!pattern.wildcard) return origin === pattern.prefix
  return (
    origin.length > pattern.prefix.length + pattern.suffix.length &&
    origin.startsWith(pattern.prefix) &&
    origin.endsWith(pattern.suffix)
  )
}
