import type { IdentityContext } from '../context.js'
import { bearerToken, currentSession } from '../current-session.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'
import { sameSecret } from '../same-secret.js'
import { sessionJson } from '../session-json.js'

/** `GET /sessions/whoami`: the session from `X-Session-Token`, `Authorization: Bearer` or the cookie; else Kratos' 401. */
export function whoami(ctx: IdentityContext, ex: Exchange): void {
  const signedIn = currentSession(ctx, ex)
  if (signedIn === undefined) return ex.error(errors.noActiveSession())
  ex.res.setHeader('x-kratos-authenticated-identity-id', signedIn.identity.id)
  ex.json(200, sessionJson(signedIn.session, signedIn.identity, ctx.origin))
}

const ADMIN_SESSION = /^\/admin\/sessions\/([0-9a-f-]{36})$/

/**
 * `DELETE /admin/sessions/<id>` with `Authorization: Bearer <admin token>`: revokes a session, as
 * Kratos' admin API does (`disableSession`). Lets tests end a session without its browser.
 */
export function revokeSession(ctx: IdentityContext, ex: Exchange): void {
  const presented = bearerToken(ex.header('authorization'))
  if (presented === undefined || !sameSecret(presented, ctx.adminToken)) {
    return ex.error(errors.unauthorized('The admin API needs "Authorization: Bearer <admin token>"; the token is printed at start.'))
  }
  const id = ADMIN_SESSION.exec(ex.url.pathname)?.[1]
  if (id === undefined || !ctx.sessions.revokeId(id, ex.now)) {
    return ex.error(errors.notFound('No active session has this id.'))
  }
  ex.empty(204)
}
