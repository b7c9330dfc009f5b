import type { ServerResponse } from 'node:http'
import type { ProxyConfig } from '../config.js'
import { nominatedHeaders, removeNominated } from './hop-by-hop.js'
import type { CorsPolicy } from './cors.js'
import { ORY_PREFIX, type Route } from './router.js'
import { rewriteLocation, type LocationRule } from './rewrite/location.js'
import { rewriteSetCookie, type CookieRule } from './rewrite/set-cookie.js'
import type { ViaEntry } from './via.js'

const PASS = 0
const DROP = 1
const CONNECTION = 2
const SET_COOKIE = 3
const LOCATION = 4
const CONTENT_TYPE = 5
const CONTENT_ENCODING = 6
const CONTENT_LENGTH = 7
const TRAILER = 8
const VIA = 9

const KINDS = new Map<string, number>([
  ['connection', CONNECTION],
  ['keep-alive', DROP],
  ['proxy-connection', DROP],
  ['transfer-encoding', DROP],
  ['upgrade', DROP],
  ['te', DROP],
  ['http2-settings', DROP],
  ['trailer', TRAILER],
  // The proxy sets its own; two would make browsers reject the response (ory/cli#344).
  ['access-control-allow-origin', DROP],
  ['access-control-allow-credentials', DROP],
  // ory proxy disables HSTS for the dev origin; an app's HSTS would pin localhost to https.
  ['strict-transport-security', DROP],
  ['x-request-id', DROP],
  ['set-cookie', SET_COOKIE],
  ['location', LOCATION],
  ['content-type', CONTENT_TYPE],
  ['content-encoding', CONTENT_ENCODING],
  ['content-length', CONTENT_LENGTH],
  ['via', VIA],
])

/**
 * `Strict-Transport-Security` on every answer: ory proxy turns HSTS off for the dev origin, so a
 * browser never pins localhost to https.
 */
export const HSTS_OFF = 'max-age=0;'

/** HSTS off and the request id: on every answer, CORS preflights included. */
export function addOwnHeaders(headers: string[], requestId: string): void {
  headers.push('strict-transport-security', HSTS_OFF, 'x-request-id', requestId)
}

/**
 * How a client takes trailers: `h2` always (RFC 9113 §8.1); `h1` only in a chunked body, which
 * Node uses when no Content-Length is given; `none` drops them.
 */
export type TrailerMode = 'none' | 'h1' | 'h2'

/**
 * Fields that never travel as trailers: framing, routing and connection fields (RFC 9110 §6.5.1),
 * and anything Node's HTTP/2 layer refuses in a trailer block.
 */
const FORBIDDEN_TRAILERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'content-length',
  'content-encoding',
  'content-type',
  'host',
  'authorization',
  'set-cookie',
])

/** Trailers as undici reports them: a flat raw list from HTTP/1.1, an object from HTTP/2. */
export type RawTrailers = readonly (Buffer | string)[] | Readonly<Record<string, unknown>>

function isList(trailers: RawTrailers): trailers is readonly (Buffer | string)[] {
  return Array.isArray(trailers)
}

function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1')
}

/** The response head as the client will get it, plus what a body rewrite needs to know. */
export interface ResponseHead {
  /** Flat `[name, value, ...]` list ready for `writeHead`. */
  readonly headers: string[]
  readonly contentType: string | undefined
  readonly contentEncoding: string | undefined
  /** Index of the content-length value in `headers`, or -1. */
  readonly contentLengthIndex: number
}

/**
 * The response-direction rules, prepared once from the config: hop-by-hop stripping, Set-Cookie
 * and Location rewrites, HSTS off, the request id and CORS.
 */
export class ResponseHeaderRules {
  readonly #cors: CorsPolicy
  readonly #cookie: CookieRule
  readonly #oryLocation: LocationRule
  readonly #appLocation: LocationRule
  readonly #via: ViaEntry
  /** The HTTP version the app answers in (Ory's pool and the upgrade pool are HTTP/1.1). */
  readonly #appVersion: string

  constructor(config: ProxyConfig, cors: CorsPolicy, via: ViaEntry) {
    this.#cors = cors
    this.#via = via
    this.#appVersion = config.appH2 ? '2' : '1.1'
    this.#cookie = { domain: config.cookieDomain, secure: config.publish.secure }
    this.#oryLocation = {
      upstreamHost: config.ory.host.toLowerCase(),
      upstreamPrefix: config.ory.pathPrefix,
      publicBase: config.publish.origin + ORY_PREFIX,
      prefixRelative: true,
      welcome: { path: `${ORY_PREFIX}/ui/welcome`, target: config.defaultRedirectUrl },
    }
    this.#appLocation = {
      upstreamHost: config.app.host.toLowerCase(),
      upstreamPrefix: config.app.pathPrefix,
      publicBase: config.publish.origin,
      prefixRelative: false,
      welcome: undefined,
    }
  }

  /**
   * Builds the client-facing head from undici's raw response headers. Nominated hop-by-hop headers
   * are removed before the proxy's own are appended. `upgraded`: the app's 101, always HTTP/1.1.
   */
  compose(
    raw: readonly Buffer[],
    route: Route,
    requestId: string,
    origin: string | undefined,
    method: string,
    trailers: TrailerMode,
    upgraded = false,
  ): ResponseHead {
    const headers: string[] = []
    let trailer: string | undefined
    let via: string | undefined
    let nominated: Set<string> | undefined
    let contentType: string | undefined
    let contentEncoding: string | undefined
    let contentLengthIndex = -1
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1')
      const value = raw[i + 1]!.toString('latin1')
      const kind = KINDS.get(name.toLowerCase()) ?? PASS
      switch (kind) {
        case PASS:
          headers.push(name, value)
          break
        case DROP:
          break
        case CONNECTION:
          nominated = nominatedHeaders(value, nominated)
          break
        case SET_COOKIE:
          headers.push(name, rewriteSetCookie(value, this.#cookie))
          break
        case LOCATION:
          headers.push(name, rewriteLocation(value, route === 'ory' ? this.#oryLocation : this.#appLocation))
          break
        case CONTENT_TYPE:
          contentType ??= value
          headers.push(name, value)
          break
        case CONTENT_ENCODING:
          contentEncoding ??= value
          headers.push(name, value)
          break
        case CONTENT_LENGTH:
          contentLengthIndex = headers.length + 1
          headers.push(name, value)
          break
        case TRAILER:
          trailer = trailer === undefined ? value : `${trailer}, ${value}`
          break
        case VIA:
          via = via === undefined ? value : `${via}, ${value}`
          break
      }
    }
    if (nominated !== undefined) {
      removeNominated(headers, nominated)
      contentLengthIndex = headers.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'content-length')
      if (contentLengthIndex !== -1) contentLengthIndex++
    }
    // Announce trailers only where they can follow: Node refuses a `Trailer` header on an
    // HTTP/1.1 response that is not chunked (ERR_HTTP_TRAILER_INVALID).
    if (trailer !== undefined && (trailers === 'h2' || (trailers === 'h1' && contentLengthIndex === -1))) {
      headers.push('trailer', trailer)
    }
    headers.push('via', this.#via.append(via, route === 'app' && !upgraded ? this.#appVersion : '1.1'))
    this.addProxyHeaders(headers, requestId, origin, method)
    return { headers, contentType, contentEncoding, contentLengthIndex }
  }

  /** Headers on every answer, proxied or the proxy's own: HSTS off, the request id, CORS. */
  addProxyHeaders(headers: string[], requestId: string, origin: string | undefined, method: string): void {
    addOwnHeaders(headers, requestId)
    this.#cors.addResponseHeaders(headers, origin, method)
  }

  /**
   * Adds the upstream's trailers (undici gives HTTP/1.1 ones as raw buffers, HTTP/2 ones as an
   * object) to the client response, minus the fields that must not be trailers. A trailer Node
   * still refuses is dropped, never allowed to fail a body that was already sent.
   */
  addTrailers(res: { addTrailers: ServerResponse['addTrailers'] }, trailers: RawTrailers): void {
    const relayed: Record<string, string> = {}
    let any = false
    const add = (name: string, value: string) => {
      const lower = name.toLowerCase()
      if (lower.charCodeAt(0) === 58 /* : */ || FORBIDDEN_TRAILERS.has(lower)) return
      relayed[lower] = relayed[lower] === undefined ? value : `${relayed[lower]}, ${value}`
      any = true
    }
    if (isList(trailers)) {
      for (let i = 0; i < trailers.length; i += 2) add(latin1(trailers[i]!), latin1(trailers[i + 1]!))
    } else {
      for (const [name, value] of Object.entries(trailers)) add(name, Array.isArray(value) ? value.join(', ') : String(value))
    }
    if (!any) return
    try {
      res.addTrailers(relayed)
    } catch {
      // ERR_INVALID_CHAR and the like: the body is complete without them.
    }
  }
}
