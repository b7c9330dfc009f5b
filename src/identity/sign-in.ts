import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import type { FlowRecord } from './flows.js'
import type { IdentityRecord } from './identity-store.js'
import { identityJson, sessionJson } from './session-json.js'
import type { SessionRecord } from './sessions.js'

/**
 * Ends a successful login or registration (Kratos signs people in on registration by default):
 * issues a session and answers per flow type. API flows get the `session_token`; browser flows get
 * the session cookie and either a 303 to `return_to` (or the welcome page) or, asked for JSON, the
 * session. A refreshed login replaces the session it re-authenticated.
 */
export function signIn(
  ctx: IdentityContext,
  ex: Exchange,
  flow: FlowRecord,
  identity: IdentityRecord,
  replaced: SessionRecord | undefined,
): void {
  if (replaced !== undefined) ctx.sessions.revokeToken(replaced.token)
  const device = { ipAddress: ex.clientAddress, userAgent: ex.header('user-agent') ?? '' }
  const session = ctx.sessions.create(identity.id, device, ex.now)
  const body = {
    ...(flow.kind === 'registration' ? { identity: identityJson(identity, ctx.origin) } : {}),
    session: sessionJson(session, identity, ctx.origin),
  }
  if (flow.type === 'api') {
    const continueWith = [{ action: 'set_ory_session_token', ory_session_token: session.token }]
    return ex.json(200, { ...body, session_token: session.token, continue_with: continueWith })
  }
  ex.setCookie(ctx.cookies.session(session.token, session.expiresAt, ex.now))
  if (!ex.wantsJson) return ex.redirect(flow.returnTo ?? ctx.defaultReturnUrl)
  const continueWith =
    flow.returnTo === undefined ? {} : { continue_with: [{ action: 'redirect_browser_to', redirect_browser_to: flow.returnTo }] }
  ex.json(200, { ...body, ...continueWith })
}
