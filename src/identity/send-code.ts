import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import { createFlow, showUi } from './flow-steps.js'
import type { FlowRecord, FlowType } from './flows.js'
import type { IdentityRecord } from './identity-store.js'
import { hashCode, newCode } from './one-time-code.js'
import { texts } from './texts.js'

/**
 * Puts a recovery or verification flow into `sent_email` for `address`: a fresh code replaces any
 * earlier one and goes to the outbox, when the address belongs to someone. For an unknown address
 * nothing is sent and the flow looks the same, so the answer does not tell which addresses exist
 * (Kratos' default, `notify_unknown_recipients: false`).
 */
export function sendCode(ctx: IdentityContext, flow: FlowRecord, address: string, identity: IdentityRecord | undefined, now: number): void {
  const kind = flow.kind === 'recovery' ? 'recovery' : 'verification'
  let codeHash: string | undefined
  if (identity !== undefined) {
    const code = newCode()
    codeHash = hashCode(flow.id, code)
    ctx.outbox.send(kind === 'recovery' ? 'recovery_code_valid' : 'verification_code_valid', address, code, now)
  }
  flow.challenge = { address, identityId: identity?.id, codeHash, expiresAt: now + ctx.codeLifetimeMs }
  flow.outcome = {
    ...flow.outcome,
    state: 'sent_email',
    updatedAt: now,
    messages: [kind === 'recovery' ? texts.recoveryCodeSent() : texts.verificationCodeSent()],
    nodeMessages: {},
    values: { email: address },
    active: 'code',
  }
}

/**
 * Kratos' verification after an address appears (registration, a changed address in settings):
 * one verification flow per unverified address, its code sent, and the `continue_with` items
 * (`show_verification_ui`) that point at them.
 */
export function verifyNewAddresses(
  ctx: IdentityContext,
  ex: Exchange,
  type: FlowType,
  identity: IdentityRecord,
  addresses: readonly string[],
): Record<string, unknown>[] {
  const continueWith: Record<string, unknown>[] = []
  for (const address of identity.verifiableAddresses) {
    if (address.verified || !addresses.includes(address.value)) continue
    const flow = createFlow(ctx, ex, {
      kind: 'verification',
      type,
      returnTo: undefined,
      requestUrl: `${ctx.origin}/self-service/verification/${type}`,
    })
    sendCode(ctx, flow, address.value, identity, ex.now)
    continueWith.push(showUi(ctx, flow, { verifiable_address: address.value }))
  }
  return continueWith
}
