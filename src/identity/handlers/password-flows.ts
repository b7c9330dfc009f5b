import type { IdentityContext } from '../context.js'
import type { SignedIn } from '../current-session.js'
import type { Exchange, SubmittedForm } from '../exchange.js'
import { reject } from '../flow-steps.js'
import type { FlowRecord } from '../flows.js'
import { DUPLICATE, withTraits } from '../identity-store.js'
import { decoyHash, hashPassword, verifyPassword } from '../password.js'
import { verifyNewAddresses } from '../send-code.js'
import { signIn } from '../sign-in.js'
import { texts } from '../texts.js'
import { traitsFrom, traitValues } from '../trait-form.js'
import { checkLogin, hasProblems, identifierOf, passwordProblem } from '../validation.js'

/** Marks a login or registration flow done; the next submission is a replay. */
function passed(flow: FlowRecord, now: number): void {
  flow.outcome = { ...flow.outcome, state: 'passed_challenge', updatedAt: now, messages: [], nodeMessages: {}, active: 'password' }
}

/** Login with `identifier` + `password`; a refresh login replaces the session it re-authenticates. */
export async function submitLogin(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm, signedIn: SignedIn | undefined): Promise<void> {
  // `password_identifier` is the field's older name, still accepted by Kratos.
  const identifier = form.get('identifier') ?? form.get('password_identifier')
  const password = form.get('password')
  const values = { identifier: identifier ?? '' }
  const problems = checkLogin(identifier, password)
  if (hasProblems(problems)) return reject(ctx, ex, flow, { nodeMessages: problems, values })
  const identity = ctx.identities.findByIdentifier(identifierOf(identifier!))
  // An unknown identifier costs one scrypt too, so timing does not tell which accounts exist.
  const matches = await verifyPassword(password!, identity?.passwordHash ?? (await decoyHash()))
  // An inactive identity (the admin API's `state`) is refused like a wrong password.
  if (identity === undefined || !matches || identity.state === 'inactive') return reject(ctx, ex, flow, { messages: [texts.invalidCredentials()], values })
  passed(flow, ex.now)
  signIn(ctx, ex, flow, identity, signedIn?.session)
}

/**
 * Registration: traits checked against the identity schema, the password against Kratos' policy;
 * the new identity is signed in, and each address the schema verifies gets a verification code.
 */
export async function submitRegistration(ctx: IdentityContext, ex: Exchange, flow: FlowRecord, form: SubmittedForm): Promise<void> {
  const traits = traitsFrom(ctx.schema, form)
  const password = form.get('password')
  const values = traitValues(ctx.schema, traits)
  const problems = ctx.schema.validateTraits(traits)
  const addresses = ctx.schema.addressesOf(traits)
  if (!hasProblems(problems) && addresses.identifiers.length === 0) return reject(ctx, ex, flow, { messages: [texts.identifierMissing()], values })
  const problem = passwordProblem(password, addresses.identifiers)
  if (problem !== undefined) problems.password = [problem]
  if (hasProblems(problems)) return reject(ctx, ex, flow, { nodeMessages: problems, values })
  if (addresses.identifiers.some((identifier) => ctx.identities.findByIdentifier(identifier) !== undefined)) {
    return reject(ctx, ex, flow, { messages: [texts.duplicate()], values })
  }
  const passwordHash = await hashPassword(password!)
  // Checked again by the store: another registration of this address may have won meanwhile.
  const identity = await ctx.identities.create({
    schemaId: ctx.schema.id,
    passwordHash,
    ...withTraits(undefined, traits, addresses, ex.now),
    now: ex.now,
  })
  if (identity === DUPLICATE) return reject(ctx, ex, flow, { messages: [texts.duplicate()], values })
  passed(flow, ex.now)
  signIn(ctx, ex, flow, identity, undefined, verifyNewAddresses(ctx, ex, flow.type, identity, addresses.verifiable))
}
