import type { ProxyConfig } from '../config.js'
import { nominatedHeaders, removeNominated } from './hop-by-hop.js'
import type { CorsPolicy } from './cors.js'
import { ORY_PREFIX, type Route } from './router.js'
import { rewriteLocation, type LocationRule } from './rewrite/location.js'
import { rewriteSetCookie, type CookieRule } from './rewrite/set-cookie.js'

const PASS = 0
const DROP = 1
const CONNECTION = 2
const SET_COOKIE = 3
const LOCATION = 4
const CONTENT_TYPE = 5
const CONTENT_ENCODING = 6
const CONTENT_LENGTH = 7

const KINDS = new Map<string, number>([
  ['connection', CONNECTION],
  ['keep-alive', DROP],
  ['proxy-connection', DROP],
  ['transfer-encoding', DROP],
  ['upgrade', DROP],
  ['trailer', DROP],
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
])

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

  constructor(config: ProxyConfig, cors: CorsPolicy) {
    this.#cors = cors
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
   * are removed before the proxy's own are appended.
   */
  compose(raw: readonly Buffer[], route: Route, requestId: string, origin: string | undefined, method: string): ResponseHead {
    const headers: string[] = []
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
      }
    }
    if (nominated !== undefined) {
      removeNominated(headers, nominated)
      contentLengthIndex = headers.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'content-length')
      if (contentLengthIndex !== -1) contentLengthIndex++
    }
    this.addProxyHeaders(headers, requestId, origin, method)
    return { headers, contentType, contentEncoding, contentLengthIndex }
  }

  /** Headers on every answer, proxied or the proxy's own: HSTS off, the request id, CORS. */
  addProxyHeaders(headers: string[], requestId: string, origin: string | undefined, method: string): void {
    headers.push('strict-transport-security', 'max-age=0;', 'x-request-id', requestId)
    this.#cors.addResponseHeaders(headers, origin, method)
  }
}
