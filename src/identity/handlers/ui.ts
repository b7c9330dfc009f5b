import type { IdentityContext } from '../context.js'
import { logoutTokenFor } from '../sessions.js'
import { SESSION_COOKIE } from '../cookies.js'
import type { Exchange } from '../exchange.js'
import { flowJson } from '../flow-json.js'
import { initUrl } from '../flow-steps.js'
import { errors } from '../kratos-errors.js'
import { errorPage, flowPage, welcomePage, type PageLink } from '../pages.js'
import type { FlowKind } from '../texts.js'

const TITLES: Readonly<Record<FlowKind, string>> = {
  login: 'Sign in',
  registration: 'Sign up',
  settings: 'Account settings',
  recovery: 'Recover your account',
  verification: 'Verify your email address',
}

/** The links under each form. */
function linksFor(ctx: IdentityContext, kind: FlowKind, returnTo: string | undefined): PageLink[] {
  switch (kind) {
    case 'login':
      return [
        { text: 'No account yet? Sign up', href: initUrl(ctx, 'registration', returnTo) },
        { text: 'Forgot your password?', href: initUrl(ctx, 'recovery', returnTo) },
      ]
    case 'registration':
      return [{ text: 'Already have an account? Sign in', href: initUrl(ctx, 'login', returnTo) }]
    case 'settings':
      return [{ text: 'Back', href: returnTo ?? ctx.defaultReturnUrl }]
    case 'recovery':
    case 'verification':
      return [{ text: 'Sign in', href: initUrl(ctx, 'login', returnTo) }]
  }
}

/**
 * `GET /ui/<kind>?flow=` (Ory's Account Experience): the flow's form as a page. Without a usable
 * browser flow (none given, unknown, expired, another person's settings), the browser is sent to
 * start one.
 */
export function flowPageHandler(kind: FlowKind) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const flow = ctx.flows.get(ex.query('flow'), kind, ex.now)
    const owner = flow?.identityId === undefined ? undefined : ctx.sessions.byToken(ex.cookie(SESSION_COOKIE), ex.now)?.identityId
    if (flow === undefined || flow.type !== 'browser' || flow.expiresAt <= ex.now || owner !== flow.identityId) {
      return ex.redirect(initUrl(ctx, kind, flow?.returnTo ?? ex.query('return_to')))
    }
    ex.page(200, flowPage(TITLES[kind], flowJson(ctx, flow), linksFor(ctx, kind, flow.returnTo)))
  }
}

/** `GET /ui/welcome`: where sign-in lands without `return_to` (behind the proxy, `--default-redirect-url` wins). */
export function welcomeHandler(ctx: IdentityContext, ex: Exchange): void {
  // The page only ever reflects the browser's own cookie session.
  const token = ex.cookie(SESSION_COOKIE)
  const session = ctx.sessions.byToken(token, ex.now)
  const identity = session === undefined ? undefined : ctx.identities.get(session.identityId)
  const signedIn =
    session === undefined || identity === undefined
      ? undefined
      : { name: identity.identifiers[0] ?? identity.id, logoutUrl: `${ctx.origin}/self-service/logout?token=${logoutTokenFor(token!)}` }
  ex.page(
    200,
    welcomePage(signedIn, {
      signIn: initUrl(ctx, 'login', undefined),
      signUp: initUrl(ctx, 'registration', undefined),
      settings: initUrl(ctx, 'settings', undefined),
      verify: initUrl(ctx, 'verification', undefined),
      recover: initUrl(ctx, 'recovery', undefined),
    }),
  )
}

/** `GET /ui/error?id=`: a self-service error, with its own status code so scripts see it too. */
export function errorPageHandler(ctx: IdentityContext, ex: Exchange): void {
  const report = ctx.errorReports.get(ex.query('id'), ex.now)
  const error = report?.body.error ?? errors.notFound('This error report does not exist or has expired.').error
  ex.page(error.code, errorPage(error, ctx.defaultReturnUrl))
}

/** `GET /self-service/errors?id=`: the error report as JSON (Kratos' `getFlowError`). */
export function errorReportHandler(ctx: IdentityContext, ex: Exchange): void {
  const report = ctx.errorReports.get(ex.query('id'), ex.now)
  if (report === undefined) return ex.error(errors.notFound('This error report does not exist or has expired.'))
  const at = new Date(report.createdAt).toISOString()
  ex.json(200, { id: report.id, error: report.body.error, created_at: at, updated_at: at })
}
