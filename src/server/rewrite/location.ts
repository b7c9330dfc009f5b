/** Everything a Location rewrite depends on, fixed at start-up. */
export interface LocationRule {
  /** `host[:port]` of the upstream whose absolute URLs point back at the proxy, lower-cased. */
  readonly upstreamHost: string
  /** The upstream's own path prefix, removed from rewritten paths ('' for none). */
  readonly upstreamPrefix: string
  /** Where the browser reaches that upstream: `http://localhost:4000/.ory` or `http://localhost:4000`. */
  readonly publicBase: string
  /**
   * Ory responses: a path-absolute Location (`/ui/login`) is put under `/.ory` too. So does `ory
   * proxy`, though its spec says relative ones stay: Go's `Response.Location()` resolves them
   * against the request to Ory, whose host is the one it rewrites.
   */
  readonly prefixRelative: boolean
  /** ory proxy's one use of `--default-redirect-url`: a Location to `<prefix>/ui/welcome` goes here. */
  readonly welcome: { readonly path: string; readonly target: string } | undefined
}

const ABSOLUTE = /^([a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)([^?#]*)(.*)$/is

/**
 * Rewrites a `Location` so the browser stays on the publish-url: an absolute URL on the upstream's
 * host becomes the same path under `publicBase`; any other host is left alone (ory/x compares
 * hosts the same way). Query and fragment are kept; the path is not cleaned, so a trailing slash
 * survives (Go's `path.Join` would drop it).
 *
 * @example rewriteLocation('https://x.oryapis.com/ui/login?flow=1', rule) // 'http://localhost:4000/.ory/ui/login?flow=1'
 */
export function rewriteLocation(location: string, rule: LocationRule): string {
  let rewritten = location
  const match = ABSOLUTE.exec(location)
  if (match) {
    if (match[2]!.toLowerCase() === rule.upstreamHost) {
      rewritten = rule.publicBase + stripPrefix(match[3]!, rule.upstreamPrefix) + match[4]!
    }
  } else if (rule.prefixRelative && location.charCodeAt(0) === 47 /* / */) {
    rewritten = rule.publicBase + location
  }
  if (rule.welcome !== undefined && pathOf(rewritten, rule.publicBase) === rule.welcome.path) {
    return rule.welcome.target
  }
  return rewritten
}

function stripPrefix(path: string, prefix: string): string {
  if (prefix === '' || !path.startsWith(prefix)) return path || '/'
  const rest = path.slice(prefix.length)
  return rest === '' ? '/' : rest.charCodeAt(0) === 47 ? rest : path
}

/** The path of a rewritten Location relative to the public base's origin, for the welcome check. */
function pathOf(location: string, publicBase: string): string | undefined {
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(publicBase)?.[0] ?? ''
  if (!location.startsWith(origin)) return undefined
  const rest = location.slice(origin.length)
  const end = rest.search(/[?#]/)
  return end === -1 ? rest : rest.slice(0, end)
}
