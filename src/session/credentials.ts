import type { InboundHeaders } from '../server/inbound-headers.js'

/**
 * The Ory credentials of one request, exactly as they are sent to `/sessions/whoami`. Kratos reads
 * a session from its cookie (`ory_kratos_session` self-hosted, `ory_session_<slug>` on Ory
 * Network), from `X-Session-Token`, and from `Authorization: Bearer <token>`; nothing else can
 * change its answer, so nothing else is sent or hashed (checklist e1).
 */
export class Credentials {
  constructor(
    /** Only the Ory session cookies, in the client's order, joined with `; `. */
    readonly cookie: string | undefined,
    readonly sessionToken: string | undefined,
    /** The client's first `Authorization` value when it uses the Bearer scheme. */
    readonly authorization: string | undefined,
  ) {}
}

const KRATOS_COOKIE = 'ory_kratos_session='
const NETWORK_COOKIE = 'ory_session_'

/**
 * The Ory session cookies from a joined `Cookie` header (`a=1; ory_session_x=A; b=2` →
 * `ory_session_x=A`), or undefined when there are none. A header holding just the session cookie
 * comes back as the same string (a whole-range slice), so the common case allocates nothing.
 */
export function oryCookies(cookie: string | undefined): string | undefined {
  if (cookie === undefined || !cookie.includes('ory_')) return undefined
  let kept: string | undefined
  let start = 0
  while (start < cookie.length) {
    let end = cookie.indexOf(';', start)
    if (end === -1) end = cookie.length
    let from = start
    while (cookie.charCodeAt(from) === 32) from++
    if (isOryCookie(cookie, from)) {
      const pair = cookie.slice(from, trimEnd(cookie, from, end))
      kept = kept === undefined ? pair : `${kept}; ${pair}`
    }
    start = end + 1
  }
  return kept
}

function isOryCookie(cookie: string, at: number): boolean {
  if (cookie.startsWith(KRATOS_COOKIE, at)) return true
  if (!cookie.startsWith(NETWORK_COOKIE, at)) return false
  // `ory_session_<slug>=`: a non-empty name suffix before the `=`.
  const equals = cookie.indexOf('=', at)
  const semicolon = cookie.indexOf(';', at)
  return equals > at + NETWORK_COOKIE.length && (semicolon === -1 || equals < semicolon)
}

function trimEnd(text: string, from: number, end: number): number {
  while (end > from && text.charCodeAt(end - 1) === 32) end--
  return end
}

/** `Authorization` when its scheme is Bearer (RFC 6750 §2.1; case-insensitive, RFC 9110 §11.1) with a token. */
export function bearer(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined
  const scheme = authorization.slice(0, 7)
  if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') return undefined
  return authorization.slice(7).trim() === '' ? undefined : authorization
}

/** The credentials a request carries, or undefined when it has none (then whoami is never asked). */
export function credentialsOf(headers: InboundHeaders): Credentials | undefined {
  const cookie = oryCookies(headers.cookie)
  const sessionToken = headers.sessionToken === '' ? undefined : headers.sessionToken
  const authorization = bearer(headers.authorization)
  if (cookie === undefined && sessionToken === undefined && authorization === undefined) return undefined
  return new Credentials(cookie, sessionToken, authorization)
}
