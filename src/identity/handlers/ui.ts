import type { IdentityContext } from '../context.js'
import { SESSION_COOKIE } from '../cookies.js'
import type { Exchange } from '../exchange.js'
import { flowJson } from '../flow-json.js'
import { errors } from '../kratos-errors.js'
import { errorPage, flowPage, welcomePage } from '../pages.js'
import type { FlowKind } from '../texts.js'

const TITLES: Readonly<Record<FlowKind, string>> = { login: 'Sign in', registration: 'Sign up' }
const OTHER: Readonly<Record<FlowKind, { kind: FlowKind; text: string }>> = {
  login: { kind: 'registration', text: 'No account yet? Sign up' },
  registration: { kind: 'login', text: 'Already have an account? Sign in' },
}

/** `<origin>/self-service/<kind>/browser`, carrying `return_to` along. */
function initUrl(ctx: IdentityContext, kind: FlowKind, returnTo: string | null | undefined): string {
  const url = `${ctx.origin}/self-service/${kind}/browser`
  return returnTo ? `${url}?return_to=${encodeURIComponent(returnTo)}` : url
}

/**
 * `GET /ui/login` and `/ui/registration` (Ory's Account Experience): the flow's form as a page.
 * Without a usable browser flow (none given, unknown, expired), the browser is sent to start one.
 */
export function flowPageHandler(kind: FlowKind) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const flow = ctx.flows.get(ex.query('flow'), kind, ex.now)
    if (flow === undefined || flow.type !== 'browser' || flow.expiresAt <= ex.now) {
      return ex.redirect(initUrl(ctx, kind, flow?.returnTo ?? ex.query('return_to')))
    }
    const other = OTHER[kind]
    ex.page(200, flowPage(TITLES[kind], flowJson(flow, ctx.origin), { text: other.text, href: initUrl(ctx, other.kind, flow.returnTo) }))
  }
}

/** `GET /ui/welcome`: where sign-in lands without `return_to` (behind the proxy, `--default-redirect-url` wins). */
export function welcomeHandler(ctx: IdentityContext, ex: Exchange): void {
  // The page only ever reflects the browser's own cookie session.
  const session = ctx.sessions.byToken(ex.cookie(SESSION_COOKIE), ex.now)
  const identity = session === undefined ? undefined : ctx.identities.get(session.identityId)
  const signedIn =
    session === undefined || identity === undefined
      ? undefined
      : { email: identity.email, logoutUrl: `${ctx.origin}/self-service/logout?token=${session.logoutToken}` }
  ex.page(200, welcomePage(signedIn, { signIn: initUrl(ctx, 'login', undefined), signUp: initUrl(ctx, 'registration', undefined) }))
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
