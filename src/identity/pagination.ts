import type { Exchange } from './exchange.js'
import { errors } from './kratos-errors.js'

/** Kratos' default and largest `page_size` for keyset-paginated admin lists. */
const DEFAULT_PAGE_SIZE = 250
const MAX_PAGE_SIZE = 1_000

/**
 * Kratos' keyset pagination for admin lists: `page_size` items from the one `page_token` names
 * (the id of the first item of a page, here), and a `Link: <…>; rel="next"` header while more
 * follow. Answers 400 itself and returns undefined when the parameters are bad.
 */
export function paginate<T>(ex: Exchange, items: readonly T[], idOf: (item: T) => string): T[] | undefined {
  const size = ex.query('page_size') === null ? DEFAULT_PAGE_SIZE : Number(ex.query('page_size'))
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    return void ex.error(errors.badRequest(`page_size must be an integer from 1 to ${MAX_PAGE_SIZE}.`))
  }
  const token = ex.query('page_token')
  const start = token === null ? 0 : items.findIndex((item) => idOf(item) === token)
  if (start === -1) return void ex.error(errors.badRequest('page_token is unknown or has expired.'))
  const next = items[start + size]
  if (next !== undefined) {
    const url = new URL(ex.url.href)
    url.searchParams.set('page_token', idOf(next))
    url.searchParams.set('page_size', String(size))
    ex.res.setHeader('link', `<${url.pathname}${url.search}>; rel="next"`)
  }
  return items.slice(start, start + size)
}
