/** How Set-Cookie headers are rewritten for the browser's one origin (ory/x `ReplaceCookieDomainAndSecure`). */
export interface CookieRule {
  /** `--cookie-domain`, or undefined to make every cookie host-only. */
  readonly domain: string | undefined
  /** True when the publish-url is https: cookies are marked Secure and keep their SameSite. */
  readonly secure: boolean
}

const REPLACED = new Set(['domain', 'secure', 'samesite'])

/**
 * Rewrites one `Set-Cookie` value: `Domain` becomes the rule's domain (or is removed), `Secure`
 * follows the publish-url's scheme and, over http, `SameSite` becomes `Lax` (a browser rejects
 * `SameSite=None` without `Secure`). Other attributes are kept in their order, which is kinder
 * than Go's re-serialisation that drops unknown ones such as `Priority`.
 *
 * Cookies named `__Host-`/`__Secure-` keep `Secure` and never gain a `Domain`: browsers reject
 * them otherwise, and they accept `Secure` cookies on http://localhost.
 *
 * @example rewriteSetCookie('sid=1; Domain=x.oryapis.com; Secure; SameSite=None', { domain: undefined, secure: false })
 * // 'sid=1; SameSite=Lax'
 */
export function rewriteSetCookie(value: string, rule: CookieRule): string {
  const parts = value.split(';')
  const pair = parts[0]!.trim()
  const name = pair.slice(0, Math.max(0, pair.indexOf('=')))
  const hostPrefixed = name.startsWith('__Host-')
  const prefixed = hostPrefixed || name.startsWith('__Secure-')
  const secure = rule.secure || prefixed
  let sameSite: string | undefined
  let out = pair
  for (let i = 1; i < parts.length; i++) {
    const attribute = parts[i]!.trim()
    if (attribute === '') continue
    const eq = attribute.indexOf('=')
    const key = (eq === -1 ? attribute : attribute.slice(0, eq)).trim().toLowerCase()
    if (key === 'samesite') sameSite = eq === -1 ? '' : attribute.slice(eq + 1).trim()
    if (REPLACED.has(key)) continue
    // Partitioned cookies must be Secure (CHIPS); without it the browser drops the whole cookie.
    if (key === 'partitioned' && !secure) continue
    out += `; ${attribute}`
  }
  if (rule.domain !== undefined && !hostPrefixed) out += `; Domain=${rule.domain}`
  if (secure) out += '; Secure'
  if (!secure) out += '; SameSite=Lax'
  else if (sameSite) out += `; SameSite=${sameSite}`
  return out
}
