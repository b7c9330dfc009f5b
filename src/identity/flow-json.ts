import type { FlowRecord } from './flows.js'
import { EMAIL_TITLE } from './schema.js'
import { texts, type UiText } from './texts.js'

/** A Kratos UI node (`ui.nodes[]`); this server only renders inputs. */
export interface UiNode {
  readonly type: 'input'
  readonly group: 'default' | 'password'
  readonly attributes: {
    readonly name: string
    readonly type: 'hidden' | 'text' | 'email' | 'password' | 'submit'
    readonly value?: string
    readonly required?: boolean
    readonly autocomplete?: string
    readonly disabled: false
    readonly node_type: 'input'
  }
  readonly messages: readonly UiText[]
  readonly meta: { readonly label?: UiText }
}

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
export function flowJson(flow: FlowRecord, origin: string): FlowJson {
  const outcome = flow.outcome
  const login = flow.kind === 'login'
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
      action: `${origin}/self-service/${flow.kind}?flow=${flow.id}`,
      method: 'POST',
      nodes: nodesFor(flow),
      ...(outcome.messages.length === 0 ? {} : { messages: outcome.messages }),
    },
    created_at: iso(flow.issuedAt),
    updated_at: iso(outcome.updatedAt),
    ...(login ? { refresh: flow.refresh, requested_aal: 'aal1' } : {}),
    state: outcome.state,
  }
}

/** What differs between the two forms: the identifier field and the password's autocomplete hint. */
const FORMS = {
  login: { identifier: 'identifier', type: 'text', autocomplete: 'username', password: 'current-password' },
  registration: { identifier: 'traits.email', type: 'email', autocomplete: 'email', password: 'new-password' },
} as const

function nodesFor(flow: FlowRecord): UiNode[] {
  const form = FORMS[flow.kind]
  return [
    csrfNode(flow),
    field(flow, 'default', form.identifier, form.type, form.autocomplete, texts.schemaLabel(EMAIL_TITLE)),
    field(flow, 'password', 'password', 'password', form.password, texts.passwordLabel()),
    submitNode(flow),
  ]
}

function csrfNode(flow: FlowRecord): UiNode {
  return {
    type: 'input',
    group: 'default',
    attributes: { name: 'csrf_token', type: 'hidden', value: flow.csrfToken, required: true, disabled: false, node_type: 'input' },
    messages: [],
    meta: {},
  }
}

function field(
  flow: FlowRecord,
  group: UiNode['group'],
  name: string,
  type: 'text' | 'email' | 'password',
  autocomplete: string,
  label: UiText,
): UiNode {
  // A password is never echoed back into a form.
  const value = type === 'password' ? {} : { value: flow.outcome.values[name] ?? '' }
  return {
    type: 'input',
    group,
    attributes: { name, type, ...value, required: true, autocomplete, disabled: false, node_type: 'input' },
    messages: flow.outcome.nodeMessages[name] ?? [],
    meta: { label },
  }
}

function submitNode(flow: FlowRecord): UiNode {
  return {
    type: 'input',
    group: 'password',
    attributes: { name: 'method', type: 'submit', value: 'password', disabled: false, node_type: 'input' },
    messages: [],
    meta: { label: texts.submit(flow.kind) },
  }
}
