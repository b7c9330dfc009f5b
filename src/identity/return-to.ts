import type { Exchange } from './exchange.js'
import { errors, type KratosErrorBody } from './kratos-errors.js'

/**
 * Kratos' `selfservice.allowed_return_urls`, fixed for a dev server: a `return_to` must be an
 * absolute http(s) URL on this server's host (any port: cookies do not isolate ports either), or on
 * the origin named by `Ory-Base-URL-Rewrite`, which the proxy sets to `<publish-url>/.ory` and
 * strips from clients. That header never changes the URLs this server generates; it only widens
 * where a flow may return to. Anything else is an open redirect and is refused.
 *
 * @returns the URL to redirect to, or undefined when it is not allowed
 * @example allowedReturnTo('http://localhost:4000/dash', new URL('http://127.0.0.1:4433'), 'http://localhost:4000/.ory')
 * // 'http://localhost:4000/dash'
 */
export function allowedReturnTo(returnTo: string, base: URL, baseUrlRewrite: string | undefined): string | undefined {
  const target = parseAbsolute(returnTo)
  if (target === undefined || target.username !== '' || target.password !== '') return undefined
  if (target.protocol === base.protocol && target.hostname === base.hostname) return target.href
  const publish = baseUrlRewrite === undefined ? undefined : parseAbsolute(baseUrlRewrite)
  if (publish !== undefined && target.origin === publish.origin) return target.href
  return undefined
}

function parseAbsolute(text: string): URL | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
  } catch {
    return undefined
  }
}

/** The request's `return_to` query parameter checked by {@link allowedReturnTo}: absent, allowed, or refused with Kratos' error. */
export function requestedReturnTo(ex: Exchange, base: URL): { returnTo: string | undefined } | { refused: KratosErrorBody } {
  const requested = ex.query('return_to')
  if (!requested) return { returnTo: undefined }
  const returnTo = allowedReturnTo(requested, base, ex.header('ory-base-url-rewrite'))
  return returnTo === undefined ? { refused: errors.returnToForbidden(requested) } : { returnTo }
}
