import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import type { FlowRecord } from './flows.js'
import type { IdentityRecord } from './identity-store.js'
import { identityJson, sessionJson } from './session-json.js'
import type { AuthenticationMethod, SessionRecord } from './sessions.js'

/**
 * Issues a session for `identity` from the request's device; a refreshed login replaces the
 * session it re-authenticated. Browser flows get the session cookie. The token is only here.
 */
export function issueSession(
  ctx: IdentityContext,
  ex: Exchange,
  flow: FlowRecord,
  identity: IdentityRecord,
  method: AuthenticationMethod,
  replaced: SessionRecord | undefined,
): { session: SessionRecord; token: string } {
  if (replaced !== undefined) ctx.sessions.revoke(replaced.id, ex.now)
  const device = { ipAddress: ex.clientAddress, userAgent: ex.header('user-agent') ?? '' }
  const issued = ctx.sessions.create(identity.id, device, method, ex.now)
  if (flow.type === 'browser') ex.setCookie(ctx.cookies.session(issued.token, issued.session.expiresAt, ex.now))
  return issued
}

/**
 * Ends a successful login or registration (Kratos signs people in on registration by default):
 * issues a session and answers per flow type. API flows get the `session_token`; browser flows get
 * the session cookie and either a 303 to `return_to` (or the welcome page) or, asked for JSON, the
 * session. `continueWith` adds Kratos' next steps (a verification flow after registration).
 */
export function signIn(
  ctx: IdentityContext,
  ex: Exchange,
  flow: FlowRecord,
  identity: IdentityRecord,
  replaced: SessionRecord | undefined,
  continueWith: readonly unknown[] = [],
): void {
  const { session, token } = issueSession(ctx, ex, flow, identity, 'password', replaced)
  const body = {
    ...(flow.kind === 'registration' ? { identity: identityJson(identity, ctx.origin) } : {}),
    session: sessionJson(session, identity, ctx.origin),
  }
  if (flow.type === 'api') {
    const set = { action: 'set_ory_session_token', ory_session_token: token }
    return ex.json(200, { ...body, session_token: token, continue_with: [set, ...continueWith] })
  }
  if (!ex.wantsJson) return ex.redirect(flow.returnTo ?? ctx.defaultReturnUrl)
  const next = [...continueWith, ...(flow.returnTo === undefined ? [] : [{ action: 'redirect_browser_to', redirect_browser_to: flow.returnTo }])]
  ex.json(200, next.length === 0 ? body : { ...body, continue_with: next })
}
