import type { ProxyErrorCode } from '../errors.js'
import type { InboundHeaders } from './inbound-headers.js'
import type { Route } from './router.js'

/** Why a request is answered by the proxy itself and never forwarded. */
export interface Rejection {
  /** `ERR_LOOP_DETECTED` for a loop, `ERR_BAD_REQUEST` for everything else refused. */
  readonly code: ProxyErrorCode
  readonly status: number
  readonly title: string
  readonly detail: string
}

function rejection(status: number, title: string, detail: string): Rejection {
  return Object.freeze({ code: status === 508 ? 'ERR_LOOP_DETECTED' : 'ERR_BAD_REQUEST', status, title, detail })
}

const METHOD_NOT_ALLOWED = rejection(405, 'Method Not Allowed', 'CONNECT and TRACE are not proxied.')
const VERSION = rejection(505, 'HTTP Version Not Supported', 'Send HTTP/1.1, or HTTP/2 with its connection preface.')
const TE_HTTP10 = rejection(400, 'Bad Request', 'HTTP/1.0 requests cannot be chunked (RFC 9112 §6.1).')
const TE_UNSUPPORTED = rejection(501, 'Not Implemented', 'Only Transfer-Encoding: chunked is supported.')
const HOST_DUPLICATE = rejection(400, 'Bad Request', 'The request has more than one Host header.')
const HOST_MISSING = rejection(400, 'Bad Request', 'The request has no Host.')
const HOST_INVALID = rejection(400, 'Bad Request', 'The Host header is not a host name with an optional port.')
const HOST_MISMATCH = rejection(400, 'Bad Request', 'The host header disagrees with :authority (RFC 9113 §8.3.1).')
const TARGET_FORM = rejection(400, 'Bad Request', 'The request target must be a path starting with a single "/".')
const TARGET_DOTS = rejection(400, 'Bad Request', 'The request path must not contain "." or ".." segments.')
const UPGRADE_TOKEN = rejection(400, 'Bad Request', 'Only WebSocket upgrades are proxied (Upgrade: websocket).')
const UPGRADE_METHOD = rejection(400, 'Bad Request', 'A WebSocket opening handshake is a GET without a body (RFC 6455 §4.1).')
const UPGRADE_ROUTE = rejection(400, 'Bad Request', 'The JWKS endpoint does not speak WebSocket.')
const LOOP = rejection(508, 'Loop Detected', 'This request has already passed through this proxy.')

/** host[:port] with a reg-name (letters, digits, `.`, `-`, `_`) or a bracketed IPv6 literal. */
const VALID_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
/** A `.` or `..` segment, raw or percent-encoded, anywhere in the path. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i

/**
 * Checks what Node's parser lets through but a proxy must not forward (checklist a4, a5, b2–b4,
 * b9, b17): smuggling framings, ambiguous hosts and request targets that could name another origin.
 * Returns `undefined` when the request may go on.
 */
export function checkRequest(
  method: string,
  target: string,
  httpVersion: string,
  headers: InboundHeaders,
  viaPseudonym: string,
): Rejection | undefined {
  // HTTP/2 extended CONNECT (RFC 8441) names a protocol and a path; checkUpgrade decides on it.
  if ((method === 'CONNECT' && headers.protocol === undefined) || method === 'TRACE') return METHOD_NOT_ALLOWED
  const h2 = headers.authority !== undefined
  if (!h2 && httpVersion !== '1.1' && httpVersion !== '1.0') return VERSION
  if (headers.transferEncoding !== undefined) {
    if (httpVersion === '1.0') return TE_HTTP10
    if (headers.transferEncoding.trim().toLowerCase() !== 'chunked') return TE_UNSUPPORTED
  }
  if (headers.hostCount > 1) return HOST_DUPLICATE
  const host = headers.effectiveHost
  if (host === undefined || host === '') return HOST_MISSING
  if (!VALID_HOST.test(host)) return HOST_INVALID
  if (h2 && headers.host !== undefined && headers.host !== headers.authority) return HOST_MISMATCH
  if (target.charCodeAt(0) !== 47 /* / */) return TARGET_FORM
  const second = target.charCodeAt(1)
  if (second === 47 /* / */ || second === 92 /* \ */) return TARGET_FORM
  if (target.includes('.') || target.includes('%')) {
    const query = target.indexOf('?')
    if (DOT_SEGMENT.test(query === -1 ? target : target.slice(0, query))) return TARGET_DOTS
  }
  if (headers.via !== undefined && headers.via.includes(viaPseudonym)) return LOOP
  return undefined
}

/**
 * For an upgrade (HTTP/1.1 `Connection: upgrade`, or an HTTP/2 CONNECT with `:protocol`): only a
 * WebSocket handshake may pass. Any other token, `h2c` included, would let a client speak another
 * protocol to the app past the per-request checks and the JWT ("h2c smuggling", checklist a10, b8).
 */
export function checkUpgrade(method: string, route: Route, headers: InboundHeaders): Rejection | undefined {
  const h2 = headers.protocol !== undefined
  const token = h2 ? headers.protocol! : headers.upgrade
  if (token === undefined || token.trim().toLowerCase() !== 'websocket') return UPGRADE_TOKEN
  if (method !== (h2 ? 'CONNECT' : 'GET')) return UPGRADE_METHOD
  if ((headers.contentLength !== undefined && headers.contentLength !== '0') || headers.transferEncoding !== undefined) {
    return UPGRADE_METHOD
  }
  if (route === 'jwks') return UPGRADE_ROUTE
  return undefined
}
