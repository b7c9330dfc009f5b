import { answerError } from '../answer-error.js'
import type { IdentityContext } from '../context.js'
import { SESSION_COOKIE } from '../cookies.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'
import { requestedReturnTo } from '../return-to.js'
import { sameSecret } from '../same-secret.js'
import { logoutTokenFor } from '../sessions.js'

/**
 * `GET /self-service/logout/browser`: the logout URL for the session in the cookie. The token in
 * the URL proves the link was issued to this browser, so a third-party page cannot sign anyone out.
 */
export function createBrowserLogout(ctx: IdentityContext, ex: Exchange): void {
  const token = ex.cookie(SESSION_COOKIE)
  if (ctx.sessions.byToken(token, ex.now) === undefined) return ex.error(errors.noActiveSession())
  const requested = requestedReturnTo(ex, ctx.base)
  if ('refused' in requested) return ex.error(requested.refused)
  const logoutToken = logoutTokenFor(token!)
  const url = new URL(`${ctx.origin}/self-service/logout`)
  url.searchParams.set('token', logoutToken)
  if (requested.returnTo !== undefined) url.searchParams.set('return_to', requested.returnTo)
  ex.json(200, { logout_token: logoutToken, logout_url: url.href })
}

/**
 * `GET /self-service/logout?token=`: ends the cookie's session when the token is its logout token,
 * clears the cookie, then 204 for JSON clients or a 303 to `return_to` (else the welcome page).
 * Without a session there is nothing to end, and the browser just moves on, as in Kratos.
 */
export function performBrowserLogout(ctx: IdentityContext, ex: Exchange): void {
  const token = ex.query('token')
  if (!token) return answerError(ctx, ex, errors.badRequest('Please include a token in the URL query.'), true)
  const requested = requestedReturnTo(ex, ctx.base)
  if ('refused' in requested) return answerError(ctx, ex, requested.refused, true)
  const cookie = ex.cookie(SESSION_COOKIE)
  const session = ctx.sessions.byToken(cookie, ex.now)
  if (session !== undefined) {
    if (!sameSecret(token, logoutTokenFor(cookie!))) {
      const reason = 'Unable to log out because the logout token in the URL query does not match the session cookie.'
      return answerError(ctx, ex, errors.forbidden(reason), true)
    }
    ctx.sessions.revoke(session.id, ex.now)
  }
  ex.setCookie(ctx.cookies.clearSession())
  if (ex.wantsJson) return ex.empty(204)
  ex.redirect(requested.returnTo ?? ctx.defaultReturnUrl)
}

/** `DELETE /self-service/logout/api` with `{ "session_token": … }`: ends a native app's session. */
export async function performApiLogout(ctx: IdentityContext, ex: Exchange): Promise<void> {
  const body = await ex.readForm()
  if ('error' in body) return ex.error(body.error)
  const token = body.form.get('session_token')
  if (!token) return ex.error(errors.badRequest('The request body must carry a session_token.'))
  const session = ctx.sessions.byToken(token, ex.now)
  if (session === undefined || !ctx.sessions.revoke(session.id, ex.now)) {
    return ex.error(errors.forbidden('The provided Ory Session Token could not be found, is invalid, or otherwise malformed.'))
  }
  ex.empty(204)
}
