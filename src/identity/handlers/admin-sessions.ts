import type { IdentityContext } from '../context.js'
import type { Exchange } from '../exchange.js'
import { kratosError } from '../kratos-errors.js'
import { paginate } from '../pagination.js'
import { sessionJson, type SessionExpansion } from '../session-json.js'
import type { SessionRecord } from '../sessions.js'

const SESSION_PATH = /^\/admin\/sessions\/([^/]+)(?:\/extend)?$/

const notFound = () => kratosError(404, { message: 'Unable to locate the resource', reason: 'No session has this id.' })

/** Kratos' `expand` query (`identity`, `devices`): what the admin API adds to a session. */
function expansion(ex: Exchange): SessionExpansion {
  const expand = ex.url.searchParams.getAll('expand')
  return { identity: expand.includes('identity'), devices: expand.includes('devices') }
}

function answer(ctx: IdentityContext, ex: Exchange, session: SessionRecord, expand: SessionExpansion): Record<string, unknown> {
  return sessionJson(session, ctx.identities.get(session.identityId), ctx.origin, expand, ex.now)
}

function idOf(ex: Exchange): string {
  return decodeURIComponent(SESSION_PATH.exec(ex.url.pathname)?.[1] ?? '')
}

/** `GET /admin/sessions` (Kratos' `listSessions`): unexpired sessions, `active` filter, `expand`, keyset pages. */
export function listSessions(ctx: IdentityContext, ex: Exchange): void {
  const active = ex.query('active')
  const sessions = ctx.sessions.list(ex.now, { active: active === null ? undefined : active === 'true' })
  const page = paginate(ex, sessions, (session) => session.id)
  const expand = expansion(ex)
  if (page !== undefined) ex.json(200, page.map((session) => answer(ctx, ex, session, expand)))
}

/** `GET /admin/sessions/{id}` (Kratos' `getSession`): active or revoked, until it expires; `expand` adds identity and devices. */
export function getSession(ctx: IdentityContext, ex: Exchange): void {
  const session = ctx.sessions.byId(idOf(ex), ex.now)
  if (session === undefined) return ex.error(notFound())
  ex.json(200, answer(ctx, ex, session, expansion(ex)))
}

/** `DELETE /admin/sessions/{id}` (Kratos' `disableSession`): 204; 404 when no active session has the id. */
export function revokeSession(ctx: IdentityContext, ex: Exchange): void {
  if (!ctx.sessions.revoke(idOf(ex), ex.now)) return ex.error(notFound())
  ex.empty(204)
}

/** `PATCH /admin/sessions/{id}/extend` (Kratos' `extendSession`): an active session lasts a whole lifespan from now. */
export function extendSession(ctx: IdentityContext, ex: Exchange): void {
  const session = ctx.sessions.extend(idOf(ex), ex.now)
  if (session === undefined) return ex.error(notFound())
  ex.json(200, answer(ctx, ex, session, { identity: true, devices: true }))
}
