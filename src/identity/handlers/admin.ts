import type { IdentityContext } from '../context.js'
import { bearerToken } from '../current-session.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'
import { messageJson } from '../outbox.js'
import { outboxPage } from '../pages.js'
import { paginate } from '../pagination.js'
import { sameSecret } from '../same-secret.js'

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
  const status = ex.query('status')
  const all = status !== null && status !== 'sent' ? [] : ctx.outbox.list(ex.now, ex.query('recipient') ?? undefined)
  const page = paginate(ex, all, (message) => message.id)
  if (page !== undefined) ex.json(200, page.map(messageJson))
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
