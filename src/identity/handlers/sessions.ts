import type { IdentityContext } from '../context.js'
import { currentSession } from '../current-session.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'
import { sessionJson } from '../session-json.js'

/** `GET /sessions/whoami`: the session from `X-Session-Token`, `Authorization: Bearer` or the cookie; else Kratos' 401. */
export function whoami(ctx: IdentityContext, ex: Exchange): void {
  const signedIn = currentSession(ctx, ex)
  if (signedIn === undefined) return ex.error(errors.noActiveSession())
  ex.res.setHeader('x-kratos-authenticated-identity-id', signedIn.identity.id)
  ex.json(200, sessionJson(signedIn.session, signedIn.identity, ctx.origin))
}
