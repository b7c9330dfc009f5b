import type { ProxyConfig } from '../config.js'
import type { InboundHeaders } from './inbound-headers.js'
import { ORY_PREFIX, type Route } from './router.js'
import type { ViaEntry } from './via.js'

/** Values for the Ory-bound headers ory proxy adds (reqMiddleware). */
export interface OryRequestOptions {
  /** `Ory-Base-URL-Rewrite-Token`: the project API key, once one is known. Never sent to the app. */
  readonly baseUrlRewriteToken?: string | undefined
  /** `Ory-RateLimit-Action` ($ORY_RATE_LIMIT_HEADER); replaces any client value when set. */
  readonly rateLimitAction?: string | undefined
}

/**
 * The headers the proxy adds to a request after the client's were cleaned ({@link InboundHeaders}):
 * Host, X-Forwarded-*, X-Request-Id, Via, the joined Cookie, the JWT, and Ory's own headers.
 * Everything that depends only on the config is computed here once.
 */
export class UpstreamHeaderRules {
  readonly #appHost: string | undefined
  readonly #oryHost: string
  readonly #proto: string
  readonly #publishHost: string
  readonly #via: ViaEntry
  readonly #oryExtras: readonly string[]

  constructor(config: ProxyConfig, via: ViaEntry, ory: OryRequestOptions = {}) {
    this.#appHost = config.rewriteHost ? config.app.host : undefined
    this.#oryHost = config.ory.host
    this.#proto = config.publish.secure ? 'https' : 'http'
    this.#publishHost = config.publish.host
    this.#via = via
    const extras = ['ory-no-custom-domain-redirect', 'true', 'ory-base-url-rewrite', config.publish.origin + ORY_PREFIX]
    if (ory.baseUrlRewriteToken) extras.push('ory-base-url-rewrite-token', ory.baseUrlRewriteToken)
    if (ory.rateLimitAction) extras.push('ory-ratelimit-action', ory.rateLimitAction)
    this.#oryExtras = extras
  }

  /** Whether client `Ory-RateLimit-Action` headers must be dropped for this route. */
  dropsRateLimit(route: Route): boolean {
    return route === 'app' || this.#oryExtras.includes('ory-ratelimit-action')
  }

  /**
   * Appends the proxy's headers to `inbound.forward` and returns it. `httpVersion` is the client's
   * (for `Via`); `authorization` is the full `Bearer <jwt>` value for app-bound requests with a session.
   */
  complete(
    inbound: InboundHeaders,
    route: Route,
    clientAddress: string | undefined,
    httpVersion: string,
    requestId: string,
    authorization: string | undefined,
  ): string[] {
    const headers = inbound.forward
    const host = route === 'app' ? (this.#appHost ?? inbound.effectiveHost!) : this.#oryHost
    headers.push(
      'host',
      host,
      'x-forwarded-for',
      plainAddress(clientAddress),
      'x-forwarded-proto',
      this.#proto,
      'x-forwarded-host',
      this.#publishHost,
      'x-request-id',
      requestId,
      'via',
      this.#via.append(inbound.via, httpVersion),
    )
    // A Cookie the client's Connection names was for the proxy alone (whoami may still read it).
    if (inbound.cookie !== undefined && inbound.nominated?.has('cookie') !== true) headers.push('cookie', inbound.cookie)
    if (route === 'app') {
      if (authorization !== undefined) headers.push('authorization', authorization)
    } else {
      for (const value of this.#oryExtras) headers.push(value)
    }
    return headers
  }
}

/** `::ffff:127.0.0.1` is how Node reports IPv4 clients on a dual-stack socket; apps expect `127.0.0.1`. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** Bytes of the head `method path HTTP/1.1` with `headers` (a flat list) takes on the wire. */
export function requestHeadBytes(method: string, path: string, headers: readonly string[]): number {
  let bytes = method.length + path.length + 12
  for (let i = 0; i < headers.length; i += 2) bytes += headers[i]!.length + headers[i + 1]!.length + 4
  return bytes
}
