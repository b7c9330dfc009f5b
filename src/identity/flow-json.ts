import type { IdentityContext } from './context.js'
import type { FlowRecord } from './flows.js'
import { CODE_DIGITS } from './one-time-code.js'
import { valueAt } from './schema.js'
import { identityJson } from './session-json.js'
import { texts, type UiText } from './texts.js'
import { csrfNode, inputNode, traitNodes, type UiNode } from './ui-nodes.js'

/** The flow JSON Kratos returns from `/self-service/<kind>/flows` and the init endpoints. */
export interface FlowJson {
  readonly id: string
  readonly type: string
  readonly ui: {
    readonly action: string
    readonly method: 'POST'
    readonly nodes: readonly UiNode[]
    readonly messages?: readonly UiText[]
  }
  readonly return_to?: string
  readonly [field: string]: unknown
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Renders a flow as Kratos does: absolute URLs on this server's own origin (the proxy rewrites them
 * for the browser), the CSRF token as a hidden node, and every field Ory's SDK models read.
 */
export function flowJson(ctx: IdentityContext, flow: FlowRecord): FlowJson {
  const outcome = flow.outcome
  const nodes = nodesFor(ctx, flow)
  // A message for a field the form does not show (an unknown trait) is shown on the form itself.
  const named = new Set(nodes.map((node) => node.attributes.name))
  const orphans = Object.entries(outcome.nodeMessages).flatMap(([name, list]) => (named.has(name) ? [] : list))
  const messages = [...outcome.messages, ...orphans]
  const identity = flow.identityId === undefined ? undefined : ctx.identities.get(flow.identityId)
  return {
    id: flow.id,
    organization_id: null,
    type: flow.type,
    expires_at: iso(flow.expiresAt),
    issued_at: iso(flow.issuedAt),
    request_url: flow.requestUrl,
    ...(flow.returnTo === undefined ? {} : { return_to: flow.returnTo }),
    ...(outcome.active === undefined ? {} : { active: outcome.active }),
    ui: {
      action: `${ctx.origin}/self-service/${flow.kind}?flow=${flow.id}`,
      method: 'POST',
      nodes,
      ...(messages.length === 0 ? {} : { messages }),
    },
    created_at: iso(flow.issuedAt),
    updated_at: iso(outcome.updatedAt),
    ...(flow.kind === 'login' ? { refresh: flow.refresh, requested_aal: 'aal1' } : {}),
    ...(identity === undefined ? {} : { identity: identityJson(identity, ctx.origin) }),
    state: outcome.state,
  }
}

function nodesFor(ctx: IdentityContext, flow: FlowRecord): UiNode[] {
  const { values, nodeMessages } = flow.outcome
  const messagesOf = (name: string) => nodeMessages[name] ?? []
  const csrf = csrfNode(flow.csrfToken)
  switch (flow.kind) {
    case 'login': {
      const identifiers = ctx.schema.fields.filter((field) => field.identifier)
      const only = identifiers.length === 1 ? identifiers[0]! : undefined
      return [
        csrf,
        inputNode('default', 'identifier', 'text', {
          value: values.identifier ?? '',
          required: true,
          autocomplete: 'username',
          label: only === undefined ? texts.idLabel() : texts.schemaLabel(only.title ?? only.path.at(-1)!, only.name),
          messages: messagesOf('identifier'),
        }),
        passwordNode(messagesOf('password'), 'current-password'),
        inputNode('password', 'method', 'submit', { value: 'password', label: texts.submit('login') }),
      ]
    }
    case 'registration':
      return [
        csrf,
        ...traitNodes(ctx.schema.fields, 'default', (field) => values[field.name], nodeMessages),
        passwordNode(messagesOf('password'), 'new-password'),
        inputNode('password', 'method', 'submit', { value: 'password', label: texts.submit('registration') }),
      ]
    case 'settings': {
      const traits = (flow.identityId === undefined ? undefined : ctx.identities.get(flow.identityId))?.traits ?? {}
      // After a failed submission the form shows what was typed; otherwise the stored traits.
      const valueOf = (field: { name: string; path: readonly string[] }) =>
        field.name in values ? values[field.name] : valueAt(traits, field.path)
      return [
        csrf,
        ...traitNodes(ctx.schema.fields, 'profile', valueOf, nodeMessages),
        inputNode('profile', 'method', 'submit', { value: 'profile', label: texts.save() }),
        passwordNode(messagesOf('password'), 'new-password'),
        inputNode('password', 'method', 'submit', { value: 'password', label: texts.save() }),
      ]
    }
    case 'recovery':
    case 'verification': {
      const challenge = flow.challenge
      if (flow.outcome.state === 'passed_challenge') return [csrf]
      if (challenge === undefined || flow.outcome.state === 'choose_method') {
        return [
          csrf,
          inputNode('code', 'email', 'email', { value: values.email, required: true, autocomplete: 'email', label: texts.emailLabel(), messages: messagesOf('email') }),
          inputNode('code', 'method', 'submit', { value: 'code', label: texts.submitLabel() }),
        ]
      }
      return [
        csrf,
        inputNode('code', 'code', 'text', {
          required: true,
          autocomplete: 'one-time-code',
          pattern: '[0-9]+',
          maxlength: CODE_DIGITS,
          label: texts.codeLabel(flow.kind),
          messages: messagesOf('code'),
        }),
        inputNode('code', 'method', 'hidden', { value: 'code' }),
        inputNode('code', 'method', 'submit', { value: 'code', label: texts.continueLabel() }),
        inputNode('code', 'email', 'submit', { value: challenge.address, label: texts.resendCode() }),
      ]
    }
  }
}

function passwordNode(messages: readonly UiText[], autocomplete: string): UiNode {
  // A password is never echoed back into a form.
  return inputNode('password', 'password', 'password', { required: true, autocomplete, label: texts.passwordLabel(), messages })
}
