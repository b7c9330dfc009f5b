import { randomUUID } from 'node:crypto'
import { ExpiringMap } from './expiring-map.js'
import type { FlowKind, UiText } from './texts.js'

/** Kratos' two flow types: `browser` (cookies, CSRF, redirects) and `api` (native apps, session tokens). */
export type FlowType = 'browser' | 'api'

export interface FlowRecord {
  readonly id: string
  readonly kind: FlowKind
  readonly type: FlowType
  readonly issuedAt: number
  readonly expiresAt: number
  /** The init URL as this server saw it (Kratos' `request_url`). */
  readonly requestUrl: string
  readonly returnTo: string | undefined
  /** Login only: `?refresh=true`, re-authentication while signed in. */
  readonly refresh: boolean
  /** Browser flows: the secret of the anti-CSRF cookie the flow belongs to. */
  readonly csrfSecret: string | undefined
  /** Browser flows: the masked token the form carries; '' for API flows, as Kratos sends it. */
  readonly csrfToken: string
  /** What the last submission left behind for the next render. */
  outcome: FlowOutcome
}

/** The mutable part of a flow: its state after the last submission. */
export interface FlowOutcome {
  readonly state: 'choose_method' | 'passed_challenge'
  readonly updatedAt: number
  readonly messages: readonly UiText[]
  /** Messages by node name (`traits.email`, `password`, …). */
  readonly nodeMessages: Readonly<Record<string, readonly UiText[]>>
  /** Values echoed back into the form after a failed submission; never the password. */
  readonly values: Readonly<Record<string, string>>
  readonly active: 'password' | undefined
}

/** What a caller decides about a new flow; ids, times and the outcome are the store's. */
export type NewFlow = Pick<FlowRecord, 'kind' | 'type' | 'requestUrl' | 'returnTo' | 'refresh' | 'csrfSecret' | 'csrfToken'> & {
  readonly messages?: readonly UiText[]
}

/** Flows kept at most; each anonymous visit to an init endpoint creates one. */
const MAX_FLOWS = 20_000

/**
 * Login and registration flows in memory. An expired flow is kept as long again as it lived, so a
 * late submission is told "expired" (with a fresh flow) rather than "not found".
 */
export class FlowStore {
  readonly #lifetimeMs: number
  readonly #flows: ExpiringMap<FlowRecord>

  constructor(lifetimeMs: number) {
    this.#lifetimeMs = lifetimeMs
    this.#flows = new ExpiringMap(MAX_FLOWS, (flow) => flow.expiresAt + lifetimeMs)
  }

  create(fields: NewFlow, now: number): FlowRecord {
    const flow: FlowRecord = {
      id: randomUUID(),
      kind: fields.kind,
      type: fields.type,
      issuedAt: now,
      expiresAt: now + this.#lifetimeMs,
      requestUrl: fields.requestUrl,
      returnTo: fields.returnTo,
      refresh: fields.refresh,
      csrfSecret: fields.csrfSecret,
      csrfToken: fields.csrfToken,
      outcome: {
        state: 'choose_method',
        updatedAt: now,
        messages: fields.messages ?? [],
        nodeMessages: {},
        values: {},
        active: undefined,
      },
    }
    this.#flows.set(flow.id, flow, now)
    return flow
  }

  /** The flow of this kind with this id, expired or not; undefined when unknown. */
  get(id: string | null, kind: FlowKind, now: number): FlowRecord | undefined {
    if (id === null) return undefined
    const flow = this.#flows.get(id, now)
    return flow?.kind === kind ? flow : undefined
  }
}
