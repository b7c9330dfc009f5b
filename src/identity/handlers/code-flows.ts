import type { IdentityContext } from '../context.js'
import type { Exchange, SubmittedForm } from '../exchange.js'
import { createFlow, expired, reject, replace, showFlow, showUi, uiUrl } from '../flow-steps.js'
import type { FlowRecord } from '../flows.js'
import type { IdentityRecord } from '../identity-store.js'
import { errors } from '../kratos-errors.js'
import { codeMatches, MAX_CODE_SUBMISSIONS } from '../one-time-code.js'
import { sendCode } from '../send-code.js'
import { issueSession } from '../sign-in.js'
import { texts, type UiText } from '../texts.js'

/** `"x" is not valid "email"`, as the schema reports addresses; one `@`, something on both sides, no spaces. */
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/

/**
 * `POST /self-service/recovery?flow=` with `method=code`: an `email` sends a recovery code to that
 * recovery address (resending replaces the code); a `code` that matches signs the person in and
 * continues to a settings flow, where the privileged window lets them set a new password.
 */
export async function submitRecovery(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm): Promise<void> {
  const identity = await checkCode(ctx, ex, flow, form, (address) => ctx.identities.findByRecoveryAddress(address))
  if (identity === undefined) return
  // A code that reached the address proves it, as a verification would (Kratos marks it verified).
  const verified = await markVerified(ctx, identity, flow.challenge!.address, ex.now)
  passed(flow, ex.now)
  const { session, token } = issueSession(ctx, ex, flow, verified, 'code_recovery', undefined)
  const settings = createFlow(ctx, ex, {
    kind: 'settings',
    type: flow.type,
    returnTo: flow.returnTo,
    requestUrl: `${ctx.origin}/self-service/settings/${flow.type}`,
    identityId: identity.id,
    messages: [texts.recovered(session.authenticatedAt + ctx.privilegedMs, ex.now)],
  })
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, settings))
  const set = flow.type === 'api' ? [{ action: 'set_ory_session_token', ory_session_token: token }] : []
  showFlow(ctx, ex, flow, 200, [...set, showUi(ctx, settings)])
}

/**
 * `POST /self-service/verification?flow=` with `method=code`: an `email` sends a verification
 * code to that address; a `code` that matches marks the address verified (`verifiable_addresses[]
 * .verified`, so whoami and the proxy's JWT show it).
 */
export async function submitVerification(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm): Promise<void> {
  const identity = await checkCode(ctx, ex, flow, form, (address) => ctx.identities.findByVerifiableAddress(address))
  if (identity === undefined) return
  await markVerified(ctx, identity, flow.challenge!.address, ex.now)
  passed(flow, ex.now, [texts.verified()])
  showFlow(ctx, ex, flow)
}

/**
 * The part both code flows share: send (or resend) a code for an `email`, or check a `code`.
 * Kratos counts code submissions per flow: the sixth is refused whatever it holds, with a fresh
 * flow; an expired code also moves to a fresh flow; a wrong one is answered with the flow (200)
 * and message 4060006/4070006. Resolves with the identity once a code matched; otherwise the
 * answer has been sent.
 */
async function checkCode(
  ctx: IdentityContext,
  ex: Exchange,
  flow: FlowRecord,
  form: SubmittedForm,
  owner: (address: string) => IdentityRecord | undefined,
): Promise<IdentityRecord | undefined> {
  const kind = flow.kind === 'recovery' ? 'recovery' : 'verification'
  const email = form.get('email')?.trim()
  const code = form.get('code')?.trim()
  if (email || !code) {
    if (!email) return void reject(ctx, ex, flow, { nodeMessages: { email: [texts.required('email')] } })
    if (!EMAIL.test(email)) return void reject(ctx, ex, flow, { nodeMessages: { email: [texts.invalidFormat(email, 'email')] }, values: { email } })
    const address = email.toLowerCase()
    sendCode(ctx, flow, address, owner(address), ex.now)
    return void showFlow(ctx, ex, flow)
  }
  const challenge = flow.challenge
  if (challenge === undefined) return void reject(ctx, ex, flow, { nodeMessages: { email: [texts.required('email')] } })
  if (++flow.submissions > MAX_CODE_SUBMISSIONS) return void tooOften(ctx, ex, flow)
  if (challenge.expiresAt <= ex.now) return void expired(ctx, ex, flow, challenge.expiresAt)
  const identity = challenge.identityId === undefined ? undefined : ctx.identities.get(challenge.identityId)
  if (identity === undefined || challenge.codeHash === undefined || !codeMatches(flow.id, code, challenge.codeHash)) {
    return void reject(ctx, ex, flow, { messages: [texts.invalidCode(kind)], values: flow.outcome.values }, 200)
  }
  return identity
}

/** The sixth code submission: the flow is spent; a fresh one says why (Kratos' `ErrCodeSubmittedTooOften`). */
function tooOften(ctx: IdentityContext, ex: Exchange, flow: FlowRecord): void {
  const reason = 'The request was submitted too often. Please request another code.'
  const replacement = replace(ctx, ex, flow, [texts.generic(reason)])
  // The old flow accepts no further code, right or wrong.
  flow.challenge = undefined
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(uiUrl(ctx, replacement))
  ex.error(errors.codeTooOften([showUi(ctx, replacement)]))
}

function passed(flow: FlowRecord, now: number, messages: readonly UiText[] = []): void {
  flow.challenge = undefined
  flow.outcome = { ...flow.outcome, state: 'passed_challenge', updatedAt: now, messages, nodeMessages: {} }
}

/** The identity with `address` verified (stored when it changed). */
async function markVerified(ctx: IdentityContext, identity: IdentityRecord, address: string, now: number): Promise<IdentityRecord> {
  const current = ctx.identities.get(identity.id) ?? identity
  if (!current.verifiableAddresses.some((a) => a.value === address && !a.verified)) return current
  const at = new Date(now).toISOString()
  const verifiableAddresses = current.verifiableAddresses.map((a) => (a.value === address ? { ...a, verified: true, verifiedAt: at, updatedAt: at } : a))
  const updated = await ctx.identities.update({ ...current, verifiableAddresses, updatedAt: at })
  return typeof updated === 'symbol' ? current : updated
}
