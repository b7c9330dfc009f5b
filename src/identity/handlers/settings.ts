import type { IdentityContext } from '../context.js'
import type { SignedIn } from '../current-session.js'
import type { Exchange, SubmittedForm } from '../exchange.js'
import { reject, showFlow, uiUrl } from '../flow-steps.js'
import type { FlowRecord } from '../flows.js'
import { DUPLICATE, withTraits, type IdentityRecord } from '../identity-store.js'
import { errors } from '../kratos-errors.js'
import { hashPassword } from '../password.js'
import type { TraitAddresses } from '../schema.js'
import { verifyNewAddresses } from '../send-code.js'
import { texts } from '../texts.js'
import { traitsFrom, traitValues } from '../trait-form.js'
import { hasProblems, passwordProblem } from '../validation.js'

/**
 * `POST /self-service/settings?flow=` with `method=profile` (traits) or `method=password`.
 * Changing the password, or a trait that is a login identifier or an address, needs a privileged
 * session: one that signed in within the privileged window (Kratos'
 * `privileged_session_max_age`, 15 minutes). Outside it, Kratos' 403 `session_refresh_required`
 * names a refresh login that comes back to this flow (a browser form is sent there).
 */
export async function submitSettings(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm, signedIn: SignedIn | undefined): Promise<void> {
  // The flow's owner was checked before; the session is theirs.
  const { session, identity } = signedIn!
  const privileged = ex.now < session.authenticatedAt + ctx.privilegedMs
  if (form.get('method') === 'password') {
    if (!privileged) return refreshRequired(ctx, ex, flow)
    const password = form.get('password')
    const problem = passwordProblem(password, identity.identifiers)
    if (problem !== undefined) return reject(ctx, ex, flow, { nodeMessages: { password: [problem] } })
    const passwordHash = await hashPassword(password!)
    const current = ctx.identities.get(identity.id) ?? identity
    await ctx.identities.update({ ...current, passwordHash, updatedAt: new Date(ex.now).toISOString() })
    return saved(ctx, ex, flow, 'password', [])
  }
  const traits = traitsFrom(ctx.schema, form)
  const values = traitValues(ctx.schema, traits)
  const problems = ctx.schema.validateTraits(traits)
  if (hasProblems(problems)) return reject(ctx, ex, flow, { nodeMessages: problems, values })
  const addresses = ctx.schema.addressesOf(traits)
  if (addresses.identifiers.length === 0) return reject(ctx, ex, flow, { messages: [texts.identifierMissing()], values })
  if (!privileged && protectedChange(identity, addresses)) return refreshRequired(ctx, ex, flow)
  const next: IdentityRecord = { ...identity, ...withTraits(identity, traits, addresses, ex.now), updatedAt: new Date(ex.now).toISOString() }
  const updated = await ctx.identities.update(next)
  if (updated === DUPLICATE) return reject(ctx, ex, flow, { messages: [texts.duplicate()], values })
  saved(ctx, ex, flow, 'profile', verifyNewAddresses(ctx, ex, flow.type, updated, addresses.verifiable))
}

/** Kratos protects identifiers and addresses (`ManagerAllowWriteProtectedTraits`): changing one needs a privileged session. */
function protectedChange(identity: IdentityRecord, addresses: TraitAddresses): boolean {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value) => b.includes(value))
  return (
    !same(identity.identifiers, addresses.identifiers) ||
    !same(identity.verifiableAddresses.map((a) => a.value), addresses.verifiable) ||
    !same(identity.recoveryAddresses.map((a) => a.value), addresses.recovery)
  )
}

/** Success: the flow says so (1050001) and stays usable; a browser form goes to `return_to`, else back to the page. */
function saved(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, method: 'profile' | 'password', continueWith: readonly unknown[]): void {
  flow.outcome = { ...flow.outcome, state: 'success', updatedAt: ex.now, messages: [texts.settingsSaved()], nodeMessages: {}, values: {}, active: method }
  if (flow.type === 'browser' && !ex.wantsJson && flow.returnTo !== undefined) return ex.redirect(flow.returnTo)
  showFlow(ctx, ex, flow, 200, continueWith)
}

/** The refresh login that brings the person back to this flow's page. */
function refreshRequired(ctx: IdentityContext, ex: Exchange, flow: FlowRecord): void {
  const login = `${ctx.origin}/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(uiUrl(ctx, flow))}`
  if (flow.type === 'browser' && !ex.wantsJson) return ex.redirect(login)
  ex.error(errors.refreshRequired(login))
}
