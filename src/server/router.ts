/** Where a request goes. Decided from the raw request target alone. */
export type Route = 'app' | 'ory' | 'jwks'

export const ORY_PREFIX = '/.ory'

/**
 * `/.ory` and `/.ory/...` go to Ory (not `/.orything`, unlike ory proxy's plain prefix test);
 * the two JWKS paths ory proxy serves locally are answered by the proxy when JWTs are on.
 */
export function routeOf(target: string, serveJwks: boolean): Route {
  if (!target.startsWith(ORY_PREFIX)) return 'app'
  const next = target.charCodeAt(ORY_PREFIX.length)
  // End of target, '/', or '?'.
  if (!(Number.isNaN(next) || next === 47 || next === 63)) return 'app'
  if (serveJwks) {
    const path = pathOf(target)
    if (path === '/.ory/jwks.json' || path === '/.ory/proxy/jwks.json') return 'jwks'
  }
  return 'ory'
}

/**
 * The upstream request target: the upstream's path prefix joined to the client's target by string
 * concatenation, never by URL resolution, so `//evil.example` stays a path (checklist a4). For Ory
 * the `/.ory` prefix is removed once.
 */
export function upstreamPath(route: Route, target: string, prefix: string): string {
  if (route !== 'ory') return prefix + target
  const rest = target.slice(ORY_PREFIX.length)
  return prefix + (rest.charCodeAt(0) === 47 ? rest : `/${rest}`)
}

function pathOf(target: string): string {
  const query = target.indexOf('?')
  return query === -1 ? target : target.slice(0, query)
}
