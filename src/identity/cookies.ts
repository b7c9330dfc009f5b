import { isIP } from 'node:net'

/** Kratos' session cookie name; the proxy's session layer reads it too. */
export const SESSION_COOKIE = 'ory_kratos_session'

/** nosurf's anti-CSRF cookie lifetime (a year), which Kratos keeps. */
const CSRF_MAX_AGE_S = 365 * 24 * 60 * 60

/**
 * The Set-Cookie values this server sends. Like Ory Network, cookies name the server's own host in
 * `Domain` where a browser accepts that (a name with a dot, or an IPv4 address, which must then
 * match exactly); `localhost` and IPv6 literals get host-only cookies. `Secure` follows the base
 * URL's scheme; `SameSite=Lax` keeps top-level form posts working.
 */
export class CookieWriter {
  readonly #attributes: string

  constructor(base: URL) {
    const host = base.hostname
    // URL keeps IPv6 literals bracketed, so `[::ffff:1.2.3.4]` is not mistaken for a dotted name.
    const domain = isIP(host) === 4 || (!host.startsWith('[') && host.includes('.')) ? host : undefined
    this.#attributes =
      `; Path=/${domain === undefined ? '' : `; Domain=${domain}`}; HttpOnly` +
      `${base.protocol === 'https:' ? '; Secure' : ''}; SameSite=Lax`
  }

  /** The session cookie, living exactly as long as the session. */
  session(token: string, expiresAt: number, now: number): string {
    const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000))
    return `${SESSION_COOKIE}=${token}; Expires=${new Date(expiresAt).toUTCString()}; Max-Age=${maxAge}${this.#attributes}`
  }

  /** Removes the session cookie (logout). */
  clearSession(): string {
    return `${SESSION_COOKIE}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0${this.#attributes}`
  }

  csrf(name: string, secret: string): string {
    return `${name}=${secret}; Max-Age=${CSRF_MAX_AGE_S}${this.#attributes}`
  }
}

/** Cookie pairs from a Cookie header (RFC 6265 §5.4); the first of two same-named cookies wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (header === undefined) return cookies
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    const name = pair.slice(0, eq).trim()
    if (name !== '' && !cookies.has(name)) cookies.set(name, pair.slice(eq + 1).trim())
  }
  return cookies
}
