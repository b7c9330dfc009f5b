import { answerError } from '../answer-error.js'
import type { IdentityContext } from '../context.js'
import { currentSession } from '../current-session.js'
import type { Exchange, SubmittedForm } from '../exchange.js'
import { flowJson } from '../flow-json.js'
import type { FlowOutcome, FlowRecord, FlowType } from '../flows.js'
import { DUPLICATE, type IdentityRecord } from '../identity-store.js'
import { errors } from '../kratos-errors.js'
import { decoyHash, hashPassword, verifyPassword } from '../password.js'
import { requestedReturnTo } from '../return-to.js'
import { signIn } from '../sign-in.js'
import { texts, type FlowKind, type UiText } from '../texts.js'
import { checkLogin, checkRegistration, identifierOf, type FieldMessages } from '../validation.js'

/** Where a flow's page lives: `<origin>/ui/login?flow=<id>` (Kratos' `selfservice.flows.*.ui_url`). */
function uiUrl(ctx: IdentityContext, flow: FlowRecord): string {
  return `${ctx.origin}/ui/${flow.kind}?flow=${flow.id}`
}

/**
 * `GET /self-service/{login,registration}/{browser,api}`: starts a flow. Browser flows get the
 * anti-CSRF cookie and, unless they ask for JSON, a 303 to the flow's page.
 */
export function initFlow(kind: FlowKind, type: FlowType) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const browser = type === 'browser'
    const requested = requestedReturnTo(ex, ctx.base)
    if ('refused' in requested) return answerError(ctx, ex, requested.refused, browser)
    const returnTo = requested.returnTo
    const refresh = kind === 'login' && ex.query('refresh') === 'true'
    if (!refresh && currentSession(ctx, ex) !== undefined) return alreadySignedIn(ctx, ex, kind, browser, returnTo)
    const flow = createFlow(ctx, ex, kind, type, returnTo, refresh, `${ctx.origin}${ex.url.pathname}${ex.url.search}`, [])
    if (browser && !ex.wantsJson) return ex.redirect(uiUrl(ctx, flow))
    ex.json(200, flowJson(flow, ctx.origin))
  }
}

/** `GET /self-service/{login,registration}/flows?id=`: a browser flow only for the browser that started it. */
export function getFlow(kind: FlowKind) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const flow = ctx.flows.get(ex.query('id'), kind, ex.now)
    if (flow === undefined) return ex.error(errors.notFound(`The ${kind} flow could not be found.`))
    if (flow.type === 'browser' && ctx.csrf.secretFrom(ex.cookie(ctx.csrf.cookieName)) !== flow.csrfSecret) {
      return ex.error(errors.csrf('The anti-CSRF cookie is missing or belongs to another browser than this flow.'))
    }
    if (flow.expiresAt <= ex.now) {
      const restart = `${ctx.origin}/self-service/${kind}/${flow.type}`
      return ex.error(errors.flowGone(kind, flow.returnTo === undefined ? restart : withReturnTo(restart, flow.returnTo), flow.type === 'browser'))
    }
    ex.json(200, flowJson(flow, ctx.origin))
  }
}

/**
 * `POST /self-service/{login,registration}?flow=`: checks the flow, its anti-CSRF token and the
 * form, then signs the person in. Failures go back into the flow (400 with the flow, or a 303 to
 * its page for a browser form), as in Kratos.
 */
export function submitFlow(kind: FlowKind) {
  return async (ctx: IdentityContext, ex: Exchange): Promise<void> => {
    const flow = ctx.flows.get(ex.query('flow'), kind, ex.now)
    if (flow === undefined) return answerError(ctx, ex, errors.notFound(`The ${kind} flow could not be found.`), true)
    const browser = flow.type === 'browser'
    const body = await ex.readForm()
    if ('error' in body) return answerError(ctx, ex, body.error, browser)
    const form = body.form
    const refused = browser ? csrfRefusal(ctx, ex, form) : apiRefusal(ex)
    if (refused !== undefined) return answerError(ctx, ex, refused, browser)
    if (flow.expiresAt <= ex.now) return expired(ctx, ex, flow)
    if (flow.outcome.state === 'passed_challenge') return reject(ctx, ex, flow, { messages: [texts.alreadyCompleted(kind)] })
    const signedIn = currentSession(ctx, ex)
    if (signedIn !== undefined && !flow.refresh) return alreadySignedIn(ctx, ex, kind, browser, flow.returnTo)
    if (form.get('method') !== 'password') return reject(ctx, ex, flow, { messages: [texts.noStrategy(kind)] })
    const result = kind === 'login' ? await logIn(ctx, form) : await register(ctx, form, ex.now)
    if ('rejection' in result) return reject(ctx, ex, flow, result.rejection)
    flow.outcome = { ...flow.outcome, state: 'passed_challenge', updatedAt: ex.now, messages: [], nodeMessages: {}, active: 'password' }
    signIn(ctx, ex, flow, result.identity, signedIn?.session)
  }
}

type Rejection = Partial<Pick<FlowOutcome, 'messages' | 'nodeMessages' | 'values'>>
type Outcome = { readonly identity: IdentityRecord } | { readonly rejection: Rejection }

async function logIn(ctx: IdentityContext, form: SubmittedForm): Promise<Outcome> {
  // `password_identifier` is the field's older name, still accepted by Kratos.
  const identifier = form.get('identifier') ?? form.get('password_identifier')
  const password = form.get('password')
  const values = { identifier: identifier ?? '' }
  const problems = checkLogin(identifier, password)
  if (hasProblems(problems)) return { rejection: { nodeMessages: problems, values } }
  const identity = ctx.identities.findByIdentifier(identifierOf(identifier!))
  // An unknown identifier costs one scrypt too, so timing does not tell which accounts exist.
  const matches = await verifyPassword(password!, identity?.passwordHash ?? (await decoyHash()))
  if (identity === undefined || !matches) return { rejection: { messages: [texts.invalidCredentials()], values } }
  return { identity }
}

async function register(ctx: IdentityContext, form: SubmittedForm, now: number): Promise<Outcome> {
  const email = form.get('traits.email')
  const password = form.get('password')
  const values = { 'traits.email': email ?? '' }
  const problems = checkRegistration(email, password)
  if (hasProblems(problems)) return { rejection: { nodeMessages: problems, values } }
  const address = email!.trim()
  const identifier = identifierOf(address)
  if (ctx.identities.findByIdentifier(identifier) !== undefined) return { rejection: { messages: [texts.duplicate()], values } }
  const passwordHash = await hashPassword(password!)
  // Checked again by the store: another registration of this address may have won meanwhile.
  const identity = await ctx.identities.create({ email: address, identifier, passwordHash, now })
  if (identity === DUPLICATE) return { rejection: { messages: [texts.duplicate()], values } }
  return { identity }
}

function hasProblems(problems: FieldMessages): boolean {
  return Object.keys(problems).length > 0
}

/** Stores the failure in the flow and shows it: a 303 to the page for a browser form, else 400 with the flow. */
function reject(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, rejection: Rejection): void {
  flow.outcome = {
    ...flow.outcome,
    updatedAt: ex.now,
    messages: rejection.messages ?? [],
    nodeMessages: rejection.nodeMessages ?? {},
    values: rejection.values ?? flow.outcome.values,
  }
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, flow))
  ex.json(400, flowJson(flow, ctx.origin))
}

/**
 * A submission to an expired flow gets a replacement flow carrying the expiry message: a browser
 * form is sent to its page, everyone else gets 410 naming it in `use_flow_id`.
 */
function expired(ctx: IdentityContext, ex: Exchange, flow: FlowRecord): void {
  const message = texts.flowExpired(flow.kind, flow.expiresAt, ex.now)
  const replacement = createFlow(ctx, ex, flow.kind, flow.type, flow.returnTo, flow.refresh, flow.requestUrl, [message])
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, replacement))
  ex.error(errors.flowExpired(flow.expiresAt, ex.now, replacement.id))
}

function alreadySignedIn(ctx: IdentityContext, ex: Exchange, kind: FlowKind, browser: boolean, returnTo: string | undefined): void {
  if (browser && !ex.wantsJson) return ex.redirect(returnTo ?? ctx.defaultReturnUrl)
  ex.error(errors.alreadySignedIn(kind))
}

function createFlow(
  ctx: IdentityContext,
  ex: Exchange,
  kind: FlowKind,
  type: FlowType,
  returnTo: string | undefined,
  refresh: boolean,
  requestUrl: string,
  messages: UiText[],
): FlowRecord {
  let csrfSecret: string | undefined
  if (type === 'browser') {
    csrfSecret = ctx.csrf.secretFrom(ex.cookie(ctx.csrf.cookieName))
    if (csrfSecret === undefined) {
      csrfSecret = ctx.csrf.newSecret()
      ex.setCookie(ctx.cookies.csrf(ctx.csrf.cookieName, csrfSecret))
    }
  }
  const csrfToken = csrfSecret === undefined ? '' : ctx.csrf.mask(csrfSecret)
  return ctx.flows.create({ kind, type, requestUrl, returnTo, refresh, csrfSecret, csrfToken, messages }, ex.now)
}

/** Browser flows: the form's `csrf_token` (or `X-CSRF-Token`) must unmask to the cookie's secret. */
function csrfRefusal(ctx: IdentityContext, ex: Exchange, form: SubmittedForm) {
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
function apiRefusal(ex: Exchange) {
  if (ex.header('origin') !== undefined) {
    return errors.badRequest('This flow was started as an API flow but the request has an Origin header, so it comes from a browser; start a browser flow instead.')
  }
  if (ex.header('cookie') !== undefined) {
    return errors.badRequest('This flow was started as an API flow but the request carries cookies, so it comes from a browser; start a browser flow instead.')
  }
  return undefined
}

function withReturnTo(url: string, returnTo: string): string {
  return `${url}?return_to=${encodeURIComponent(returnTo)}`
}
