import { answerError } from '../answer-error.js'
import type { IdentityContext } from '../context.js'
import { currentSession, type SignedIn } from '../current-session.js'
import type { Exchange, SubmittedForm } from '../exchange.js'
import { flowJson } from '../flow-json.js'
import { alreadySignedIn, apiRefusal, createFlow, csrfRefusal, expired, initUrl, reject, uiUrl, withReturnTo } from '../flow-steps.js'
import type { FlowRecord, FlowType } from '../flows.js'
import { errors } from '../kratos-errors.js'
import { requestedReturnTo } from '../return-to.js'
import { texts, type FlowKind } from '../texts.js'
import { submitRecovery, submitVerification } from './code-flows.js'
import { submitLogin, submitRegistration } from './password-flows.js'
import { submitSettings } from './settings.js'

/** What a submission handler gets once the flow, its body and its CSRF protection checked out. */
export type FlowSubmission = (ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm, signedIn: SignedIn | undefined) => Promise<void> | void

const SUBMISSIONS: Readonly<Record<FlowKind, FlowSubmission>> = {
  login: submitLogin,
  registration: submitRegistration,
  settings: submitSettings,
  recovery: submitRecovery,
  verification: submitVerification,
}

/** The `method` values each kind accepts. */
const METHODS: Readonly<Record<FlowKind, readonly string[]>> = {
  login: ['password'],
  registration: ['password'],
  settings: ['profile', 'password'],
  recovery: ['code'],
  verification: ['code'],
}

/** Kinds that only someone signed out may start (Kratos answers `session_already_available`). */
const SIGNED_OUT_ONLY: ReadonlySet<FlowKind> = new Set(['login', 'registration', 'recovery'])

/**
 * `GET /self-service/<kind>/{browser,api}`: starts a flow. Browser flows get the anti-CSRF cookie
 * and, unless they ask for JSON, a 303 to the flow's page. Settings need a session (a browser
 * without one is sent to log in first); login, registration and recovery need none.
 */
export function initFlow(kind: FlowKind, type: FlowType) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const browser = type === 'browser'
    const requested = requestedReturnTo(ex, ctx.base)
    if ('refused' in requested) return answerError(ctx, ex, requested.refused, browser)
    const returnTo = requested.returnTo
    const refresh = kind === 'login' && ex.query('refresh') === 'true'
    const signedIn = currentSession(ctx, ex)
    if (SIGNED_OUT_ONLY.has(kind) && !refresh && signedIn !== undefined) return alreadySignedIn(ctx, ex, kind, browser, returnTo)
    if (kind === 'settings' && signedIn === undefined) {
      if (browser && !ex.wantsJson) return ex.redirect(initUrl(ctx, 'login', `${ctx.origin}${ex.url.pathname}${ex.url.search}`))
      return ex.error(errors.noActiveSession())
    }
    const flow = createFlow(ctx, ex, {
      kind,
      type,
      returnTo,
      refresh,
      requestUrl: `${ctx.origin}${ex.url.pathname}${ex.url.search}`,
      identityId: kind === 'settings' ? signedIn!.identity.id : undefined,
      messages: refresh ? [texts.reauthenticate()] : [],
    })
    if (browser && !ex.wantsJson) return ex.redirect(uiUrl(ctx, flow))
    ex.json(200, flowJson(ctx, flow))
  }
}

/** `GET /self-service/<kind>/flows?id=`: a browser flow only for the browser that started it; settings only for their person. */
export function getFlow(kind: FlowKind) {
  return (ctx: IdentityContext, ex: Exchange): void => {
    const flow = ctx.flows.get(ex.query('id'), kind, ex.now)
    if (flow === undefined) return ex.error(errors.notFound(`The ${kind} flow could not be found.`))
    if (flow.type === 'browser' && ctx.csrf.secretFrom(ex.cookie(ctx.csrf.cookieName)) !== flow.csrfSecret) {
      return ex.error(errors.csrf('The anti-CSRF cookie is missing or belongs to another browser than this flow.'))
    }
    const refused = ownerRefusal(ctx, ex, flow)
    if (refused !== undefined) return ex.error(refused)
    if (flow.expiresAt <= ex.now) {
      const restart = `${ctx.origin}/self-service/${kind}/${flow.type}`
      return ex.error(errors.flowGone(kind, flow.returnTo === undefined ? restart : withReturnTo(restart, flow.returnTo), flow.type === 'browser'))
    }
    ex.json(200, flowJson(ctx, flow))
  }
}

/**
 * `POST /self-service/<kind>?flow=`: checks the flow, its anti-CSRF token (or, for API flows, that
 * no browser sent it) and its expiry, then hands the form to the kind's handler. Failures go back
 * into the flow (400 with the flow, or a 303 to its page for a browser form), as in Kratos.
 */
export function submitFlow(kind: FlowKind) {
  return async (ctx: IdentityContext, ex: Exchange): Promise<void> => {
    const flow = ctx.flows.get(ex.query('flow'), kind, ex.now)
    if (flow === undefined) return answerError(ctx, ex, errors.notFound(`The ${kind} flow could not be found.`), true)
    const browser = flow.type === 'browser'
    const body = await ex.readForm()
    if ('error' in body) return answerError(ctx, ex, body.error, browser)
    const form = body.form
    const refused = (browser ? csrfRefusal(ctx, ex, form) : apiRefusal(ex)) ?? ownerRefusal(ctx, ex, flow)
    if (refused !== undefined) return answerError(ctx, ex, refused, browser)
    if (flow.expiresAt <= ex.now) return expired(ctx, ex, flow)
    if (kind !== 'settings' && flow.outcome.state === 'passed_challenge') return reject(ctx, ex, flow, { messages: [texts.alreadyCompleted(kind)] })
    const signedIn = currentSession(ctx, ex)
    if (SIGNED_OUT_ONLY.has(kind) && signedIn !== undefined && !flow.refresh) return alreadySignedIn(ctx, ex, kind, browser, flow.returnTo)
    if (!METHODS[kind].includes(form.get('method') ?? '')) return reject(ctx, ex, flow, { messages: [texts.noStrategy(kind)] })
    await SUBMISSIONS[kind](ctx, ex, flow, form, signedIn)
  }
}

/** A settings flow belongs to one person: it needs a session, of that person. */
function ownerRefusal(ctx: IdentityContext, ex: Exchange, flow: FlowRecord) {
  if (flow.identityId === undefined) return undefined
  const signedIn = currentSession(ctx, ex)
  if (signedIn === undefined) return errors.noActiveSession()
  return signedIn.identity.id === flow.identityId ? undefined : errors.identityMismatch()
}
