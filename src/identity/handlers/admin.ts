import type { IdentityContext } from '../context.js'
import { bearerToken } from '../current-session.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'
import { messageJson } from '../outbox.js'
import { outboxPage } from '../pages.js'
import { sameSecret } from '../same-secret.js'

/** Kratos' default and largest `page_size` for the courier list. */
const DEFAULT_PAGE_SIZE = 250
const MAX_PAGE_SIZE = 1_000
const BASIC = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i

/**
 * Whether the request carries the admin token: `Authorization: Bearer <token>` (Ory's SDKs'
 * `accessToken`), or HTTP Basic with the token as the password, which a browser prompts for (the
 * outbox page).
 */
export function adminAuthorized(ctx: IdentityContext, ex: Exchange): boolean {
  const authorization = ex.header('authorization')
  const bearer = bearerToken(authorization)
  if (bearer !== undefined) return sameSecret(bearer, ctx.adminToken)
  const basic = authorization === undefined ? undefined : BASIC.exec(authorization)?.[1]
  if (basic === undefined) return false
  const decoded = Buffer.from(basic, 'base64').toString('utf8')
  return sameSecret(decoded.slice(decoded.indexOf(':') + 1), ctx.adminToken)
}

/** The admin listener's answer without the token: 401, and a Basic challenge for pages. */
export function adminUnauthorized(ex: Exchange): void {
  if (!ex.wantsJson) ex.res.setHeader('www-authenticate', 'Basic realm="ory-proxy identity admin", charset="UTF-8"')
  ex.error(errors.unauthorized('The admin API needs "Authorization: Bearer <admin token>".'))
}

/**
 * `GET /admin/courier/messages` (Kratos' `listCourierMessages`): newest first, filtered by
 * `recipient` and `status` (every message is `sent`), `page_size` per page with `page_token` and
 * a `Link: <…>; rel="next"` header for the rest.
 */
export function listCourierMessages(ctx: IdentityContext, ex: Exchange): void {
  const size = ex.query('page_size') === null ? DEFAULT_PAGE_SIZE : Number(ex.query('page_size'))
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    return ex.error(errors.badRequest(`page_size must be an integer from 1 to ${MAX_PAGE_SIZE}.`))
  }
  const status = ex.query('status')
  const all = status !== null && status !== 'sent' ? [] : ctx.outbox.list(ex.now, ex.query('recipient') ?? undefined)
  const token = ex.query('page_token')
  const start = token === null ? 0 : all.findIndex((message) => message.id === token)
  if (start === -1) return ex.error(errors.badRequest('page_token is unknown or has expired.'))
  const page = all.slice(start, start + size)
  const next = all[start + size]
  if (next !== undefined) {
    const url = new URL(ex.url.href)
    url.searchParams.set('page_token', next.id)
    url.searchParams.set('page_size', String(size))
    ex.res.setHeader('link', `<${url.pathname}${url.search}>; rel="next"`)
  }
  ex.json(200, page.map(messageJson))
}

const MESSAGE_PATH = /^\/admin\/courier\/messages\/([0-9a-f-]{36})$/

/** `GET /admin/courier/messages/<id>` (Kratos' `getCourierMessage`). */
export function getCourierMessage(ctx: IdentityContext, ex: Exchange): void {
  const id = MESSAGE_PATH.exec(ex.url.pathname)?.[1]
  const message = id === undefined ? undefined : ctx.outbox.get(id, ex.now)
  if (message === undefined) return ex.error(errors.notFound('No courier message has this id.'))
  ex.json(200, messageJson(message))
}

/** `GET /courier`: the outbox as a page, for a person at a browser. */
export function outboxPageHandler(ctx: IdentityContext, ex: Exchange): void {
  ex.page(200, outboxPage(ctx.outbox.list(ex.now, ex.query('recipient') ?? undefined)))
}

const ADMIN_SESSION = /^\/admin\/sessions\/([0-9a-f-]{36})$/

/** `DELETE /admin/sessions/<id>`: revokes a session, as Kratos' admin API does (`disableSession`). */
export function revokeSession(ctx: IdentityContext, ex: Exchange): void {
  const id = ADMIN_SESSION.exec(ex.url.pathname)?.[1]
  if (id === undefined || !ctx.sessions.revoke(id, ex.now)) {
    return ex.error(errors.notFound('No active session has this id.'))
  }
  ex.empty(204)
}
