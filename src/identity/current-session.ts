import type { IdentityContext } from './context.js'
import { SESSION_COOKIE } from './cookies.js'
import type { Exchange } from './exchange.js'
import type { IdentityRecord } from './identity-store.js'
import type { SessionRecord } from './sessions.js'

export interface SignedIn {
  readonly session: SessionRecord
  readonly identity: IdentityRecord
}

const BEARER = /^bearer\s+(\S+)\s*$/i

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
}

/**
 * The active session a request carries, looked up as Kratos does (session/manager_http.go
 * `extractToken`): `X-Session-Token`, then the `ory_kratos_session` cookie, then
 * `Authorization: Bearer` — so a stray Authorization header never hides a browser's session.
 */
export function currentSession(ctx: IdentityContext, ex: Exchange): SignedIn | undefined {
  const token =
    ex.header('x-session-token') ?? ex.cookie(SESSION_COOKIE) ?? bearerToken(ex.header('authorization'))
  const session = ctx.sessions.byToken(token, ex.now)
  if (session === undefined) return undefined
  const identity = ctx.identities.get(session.identityId)
  // Kratos: the sessions of a deactivated identity stop working at once.
  return identity === undefined || identity.state === 'inactive' ? undefined : { session, identity }
}
