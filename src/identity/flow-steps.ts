import type { IdentityContext } from './context.js'
import type { Exchange, SubmittedForm } from './exchange.js'
import { flowJson } from './flow-json.js'
import type { FlowOutcome, FlowRecord, FlowType } from './flows.js'
import { errors } from './kratos-errors.js'
import type { FlowKind, UiText } from './texts.js'
import { texts } from './texts.js'

/** Where a flow's page lives: `<origin>/ui/<kind>?flow=<id>` (Kratos' `selfservice.flows.*.ui_url`). */
export function uiUrl(ctx: IdentityContext, flow: FlowRecord): string {
  return `${ctx.origin}/ui/${flow.kind}?flow=${flow.id}`
}

/** `<origin>/self-service/<kind>/browser`, carrying `return_to` along. */
export function initUrl(ctx: IdentityContext, kind: FlowKind, returnTo: string | null | undefined): string {
  const url = `${ctx.origin}/self-service/${kind}/browser`
  return returnTo ? `${url}?return_to=${encodeURIComponent(returnTo)}` : url
}

export interface FlowStart {
  readonly kind: FlowKind
  readonly type: FlowType
  readonly returnTo: string | undefined
  readonly requestUrl: string
  readonly refresh?: boolean
  readonly identityId?: string | undefined
  readonly messages?: readonly UiText[]
}

/** Creates a flow; a browser flow gets (or reuses) the anti-CSRF cookie and a masked token. */
export function createFlow(ctx: IdentityContext, ex: Exchange, start: FlowStart): FlowRecord {
  let csrfSecret: string | undefined
  if (start.type === 'browser') {
    csrfSecret = ctx.csrf.secretFrom(ex.cookie(ctx.csrf.cookieName))
    if (csrfSecret === undefined) {
      csrfSecret = ctx.csrf.newSecret()
      ex.setCookie(ctx.cookies.csrf(ctx.csrf.cookieName, csrfSecret))
    }
  }
  const csrfToken = csrfSecret === undefined ? '' : ctx.csrf.mask(csrfSecret)
  return ctx.flows.create(
    {
      kind: start.kind,
      type: start.type,
      requestUrl: start.requestUrl,
      returnTo: start.returnTo,
      refresh: start.refresh ?? false,
      csrfSecret,
      csrfToken,
      messages: start.messages ?? [],
      identityId: start.identityId,
    },
    ex.now,
  )
}

export type Rejection = Partial<Pick<FlowOutcome, 'messages' | 'nodeMessages' | 'values'>>

/**
 * Stores the failure in the flow and shows it: a 303 to the page for a browser form, else the flow
 * with `status` (400, or 200 where Kratos answers a wrong code with the flow).
 */
export function reject(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, rejection: Rejection, status = 400): void {
  flow.outcome = {
    ...flow.outcome,
    updatedAt: ex.now,
    messages: rejection.messages ?? [],
    nodeMessages: rejection.nodeMessages ?? {},
    values: rejection.values ?? flow.outcome.values,
  }
  showFlow(ctx, ex, flow, status)
}

/** The flow after a submission: its page for a browser form, else its JSON (with `continue_with` when given). */
export function showFlow(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, status = 200, continueWith?: readonly unknown[]): void {
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, flow))
  const body = flowJson(ctx, flow)
  ex.json(status, continueWith === undefined || continueWith.length === 0 ? body : { ...body, continue_with: continueWith })
}

/**
 * A submission to an expired flow (or with an expired code) gets a replacement flow carrying the
 * expiry message: a browser form is sent to its page, everyone else gets 410 naming it in
 * `use_flow_id` (and, for code flows, `continue_with`).
 */
export function expired(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, expiredAt = flow.expiresAt): void {
  const message = texts.flowExpired(flow.kind, expiredAt, ex.now)
  const replacement = replace(ctx, ex, flow, [message])
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, replacement))
  const code = flow.kind === 'recovery' || flow.kind === 'verification'
  ex.error(errors.flowExpired(expiredAt, ex.now, replacement.id, code ? [showUi(ctx, replacement)] : undefined))
}

/** A fresh flow in place of `flow`, same kind, type and return_to, carrying `messages`. */
export function replace(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, messages: UiText[]): FlowRecord {
  return createFlow(ctx, ex, {
    kind: flow.kind,
    type: flow.type,
    returnTo: flow.returnTo,
    requestUrl: flow.requestUrl,
    refresh: flow.refresh,
    identityId: flow.identityId,
    messages,
  })
}

/** Kratos' `continue_with` item pointing at a flow's UI (`show_<kind>_ui`). */
export function showUi(ctx: IdentityContext, flow: FlowRecord, extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return { action: `show_${flow.kind}_ui`, flow: { id: flow.id, ...extra, url: uiUrl(ctx, flow) } }
}

export function alreadySignedIn(ctx: IdentityContext, ex: Exchange, kind: FlowKind, browser: boolean, returnTo: string | undefined): void {
  if (browser && !ex.wantsJson) return ex.redirect(returnTo ?? ctx.defaultReturnUrl)
  ex.error(errors.alreadySignedIn(kind))
}

/** Browser flows: the form's `csrf_token` (or `X-CSRF-Token`) must unmask to the cookie's secret. */
export function csrfRefusal(ctx: IdentityContext, ex: Exchange, form: SubmittedForm) {
  const secret = ctx.csrf.secretFrom(ex.cookie(ctx.csrf.cookieName))
  if (secret === undefined) return errors.csrf('The anti-CSRF cookie was not sent with the request.')
  const token = form.get('csrf_token') || ex.header('x-csrf-token')
  if (token === undefined) return errors.csrf('The form has no csrf_token field and the request no X-CSRF-Token header.')
  if (!ctx.csrf.matches(secret, token)) return errors.csrf('The csrf_token does not match the anti-CSRF cookie.')
  return undefined
}

/**
 * API flows carry no CSRF token, so Kratos refuses them from anything that looks like a browser
 * (an `Origin` or a `Cookie` header): a page could otherwise drive them.
 */
export function apiRefusal(ex: Exchange) {
  if (ex.header('origin') !== undefined) {
    return errors.badRequest('This flow was started as an API flow but the request has an Origin header, so it comes from a browser; start a browser flow instead.')
  }
  if (ex.header('cookie') !== undefined) {
    return errors.badRequest('This flow was started as an API flow but the request carries cookies, so it comes from a browser; start a browser flow instead.')
  }
  return undefined
}

export function withReturnTo(url: string, returnTo: string): string {
  return `${url}?return_to=${encodeURIComponent(returnTo)}`
}
