import { nominatedHeaders, removeNominated } from './hop-by-hop.js'

/** What a header means to the proxy; everything not listed is passed on untouched. */
const PASS = 0
/** Hop-by-hop, proxy-owned or spoofable: never forwarded as the client sent it. */
const DROP = 1
const CONNECTION = 2
const TE = 3
const HOST = 4
const COOKIE = 5
const AUTHORIZATION = 6
const SESSION_TOKEN = 7
const REQUEST_ID = 8
const VIA = 9
const ORIGIN = 10
const ACCEPT = 11
const CONTENT_LENGTH = 12
const TRANSFER_ENCODING = 13
const UPGRADE = 14
const RATE_LIMIT = 15
const AC_REQUEST_METHOD = 16
const AC_REQUEST_HEADERS = 17
const PSEUDO_AUTHORITY = 18
const PSEUDO_PROTOCOL = 19
const TRACEPARENT = 20
const TRACESTATE = 21

const KINDS = new Map<string, number>([
  // RFC 9110 §7.6.1 and the checklist's a1 list; `expect` because undici refuses it (Node answers
  // `100 Continue` itself).
  ['connection', CONNECTION],
  ['keep-alive', DROP],
  ['proxy-connection', DROP],
  ['te', TE],
  ['trailer', DROP],
  ['transfer-encoding', TRANSFER_ENCODING],
  ['upgrade', UPGRADE],
  ['proxy-authorization', DROP],
  ['http2-settings', DROP],
  ['expect', DROP],
  // Forwarding headers are set by the proxy from what it knows, never trusted from the client.
  ['forwarded', DROP],
  ['x-forwarded-for', DROP],
  ['x-forwarded-host', DROP],
  ['x-forwarded-proto', DROP],
  ['x-forwarded-port', DROP],
  ['x-forwarded-prefix', DROP],
  // Headers only the proxy may send to Ory (ory proxy's reqMiddleware strips them too).
  ['ory-no-custom-domain-redirect', DROP],
  ['ory-base-url-rewrite', DROP],
  ['ory-base-url-rewrite-token', DROP],
  ['ory-ratelimit-action', RATE_LIMIT],
  ['host', HOST],
  ['cookie', COOKIE],
  ['authorization', AUTHORIZATION],
  ['x-session-token', SESSION_TOKEN],
  ['x-request-id', REQUEST_ID],
  // W3C Trace Context: passed on unchanged, and carried on to the whoami call the request causes.
  ['traceparent', TRACEPARENT],
  ['tracestate', TRACESTATE],
  ['via', VIA],
  ['origin', ORIGIN],
  ['accept', ACCEPT],
  ['content-length', CONTENT_LENGTH],
  ['access-control-request-method', AC_REQUEST_METHOD],
  ['access-control-request-headers', AC_REQUEST_HEADERS],
  // HTTP/2 pseudo-headers (the compat API lists them in rawHeaders); :authority is the host.
  [':authority', PSEUDO_AUTHORITY],
  [':method', DROP],
  [':path', DROP],
  [':scheme', DROP],
  [':protocol', PSEUDO_PROTOCOL],
])

/** `x-forwarded-*` in any spelling Node passes on (`_` for `-`, as CVE-2025-64484 uses). */
const FORWARDED_FAMILY = /^x[-_]forwarded[-_]/

/** What the route does with the client's credentials and rate-limit header. */
export interface ScanPolicy {
  /** Drop every client `Authorization` (JWT mode on app-bound requests). */
  readonly dropAuthorization: boolean
  /** Drop the client's `Ory-RateLimit-Action` (app-bound, or the proxy sets its own). */
  readonly dropRateLimit: boolean
}

/**
 * One pass over a request's raw header list: the headers to forward (in the client's order and
 * case) and the values the proxy acts on. Built from `rawHeaders`, never from `req.headers`, so a
 * duplicated header cannot hide behind Node's first-one-wins map (checklist e3).
 */
export class InboundHeaders {
  /** Flat `[name, value, ...]` list of headers to pass upstream. */
  readonly forward: string[] = []
  host: string | undefined = undefined
  hostCount = 0
  /** `:authority` on HTTP/2; must agree with any `host` header. */
  authority: string | undefined = undefined
  /** `:protocol` of an HTTP/2 extended CONNECT (RFC 8441), e.g. `websocket`. */
  protocol: string | undefined = undefined
  /** The client accepts trailers (`TE: trailers`, RFC 9110 §10.1.4). */
  teTrailers = false
  /** All `Cookie` lines and HTTP/2 crumbs, joined with `; ` as they go upstream. */
  cookie: string | undefined = undefined
  authorization: string | undefined = undefined
  authorizationCount = 0
  sessionToken: string | undefined = undefined
  requestId: string | undefined = undefined
  /** The first `traceparent` (W3C Trace Context), forwarded as it came. */
  traceparent: string | undefined = undefined
  /** All `tracestate` lines, joined with `,` (W3C Trace Context §3.3.1.1 allows splitting it). */
  tracestate: string | undefined = undefined
  via: string | undefined = undefined
  origin: string | undefined = undefined
  accept: string | undefined = undefined
  contentLength: string | undefined = undefined
  transferEncoding: string | undefined = undefined
  upgrade: string | undefined = undefined
  accessControlRequestMethod: string | undefined = undefined
  accessControlRequestHeaders: string | undefined = undefined
  /** Set when Connection nominates headers beyond the plain options. */
  nominated: Set<string> | undefined = undefined

  constructor(raw: readonly string[], policy: ScanPolicy) {
    const forward = this.forward
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!
      const value = raw[i + 1]!
      const lower = name.toLowerCase()
      let kind = KINDS.get(lower) ?? PASS
      // `X_Forwarded_For` reaches apps that map `_` to `-` (CVE-2025-64484): drop any variant of a
      // header the proxy owns or reads.
      if (kind === PASS && lower.includes('_') && KINDS.has(lower.replaceAll('_', '-'))) kind = DROP
      // Every other X-Forwarded-* too (-Ssl, -Scheme, -Server, -Uri...): frameworks read them to
      // decide the scheme or the URL, and the proxy sets none of them.
      if (kind === PASS && lower.charCodeAt(0) === 120 /* x */ && FORWARDED_FAMILY.test(lower)) kind = DROP
      switch (kind) {
        case PASS:
          forward.push(name, value)
          break
        case DROP:
          break
        case CONNECTION:
          this.nominated = nominatedHeaders(value, this.nominated)
          break
        case TE:
          // Only `trailers` means anything end to end (RFC 9110 §10.1.4).
          if (value.trim().toLowerCase() === 'trailers') {
            this.teTrailers = true
            forward.push(name, 'trailers')
          }
          break
        case HOST:
          this.hostCount++
          this.host ??= value
          break
        case PSEUDO_AUTHORITY:
          this.authority = value
          break
        case PSEUDO_PROTOCOL:
          this.protocol = value
          break
        case COOKIE:
          this.cookie = this.cookie === undefined ? value : `${this.cookie}; ${value}`
          break
        case AUTHORIZATION:
          this.authorizationCount++
          this.authorization ??= value
          if (!policy.dropAuthorization) forward.push(name, value)
          break
        case SESSION_TOKEN:
          this.sessionToken ??= value
          forward.push(name, value)
          break
        case REQUEST_ID:
          this.requestId ??= value
          break
        case TRACEPARENT:
          this.traceparent ??= value
          forward.push(name, value)
          break
        case TRACESTATE:
          this.tracestate = this.tracestate === undefined ? value : `${this.tracestate},${value}`
          forward.push(name, value)
          break
        case VIA:
          this.via = this.via === undefined ? value : `${this.via}, ${value}`
          break
        case ORIGIN:
          this.origin ??= value
          forward.push(name, value)
          break
        case ACCEPT:
          this.accept ??= value
          forward.push(name, value)
          break
        case CONTENT_LENGTH:
          this.contentLength ??= value
          forward.push(name, value)
          break
        case TRANSFER_ENCODING:
          this.transferEncoding = this.transferEncoding === undefined ? value : `${this.transferEncoding}, ${value}`
          break
        case UPGRADE:
          this.upgrade ??= value
          break
        case RATE_LIMIT:
          if (!policy.dropRateLimit) forward.push(name, value)
          break
        case AC_REQUEST_METHOD:
          this.accessControlRequestMethod ??= value
          forward.push(name, value)
          break
        case AC_REQUEST_HEADERS:
          this.accessControlRequestHeaders ??= value
          forward.push(name, value)
          break
      }
    }
    // Nominated headers go last, after every list is built, so `Connection: Authorization` can
    // remove only what the client sent, never what the proxy adds next (Go issue #50580).
    if (this.nominated !== undefined) removeNominated(forward, this.nominated)
  }

  /** The host the client addressed: `:authority` on HTTP/2, else the Host header. */
  get effectiveHost(): string | undefined {
    return this.authority ?? this.host
  }
}
