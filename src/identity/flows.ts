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
  /** Settings: whose settings these are (the flow works only for a session of this identity). */
  readonly identityId: string | undefined
  /** What the last submission left behind for the next render. */
  outcome: FlowOutcome
  /** Recovery and verification: the code sent, once one was. */
  challenge: CodeChallenge | undefined
  /** Recovery and verification: code submissions so far (Kratos allows five per flow). */
  submissions: number
}

/** A one-time code sent for a recovery or verification flow; only its hash is kept. */
export interface CodeChallenge {
  /** The address it went to (lower-cased). */
  readonly address: string
  /** The identity that address belongs to; undefined when nobody has it (nothing was sent then). */
  readonly identityId: string | undefined
  readonly codeHash: string | undefined
  readonly expiresAt: number
}

/** The mutable part of a flow: its state after the last submission. */
export interface FlowOutcome {
  readonly state: FlowState
  readonly updatedAt: number
  readonly messages: readonly UiText[]
  /** Messages by node name (`traits.email`, `password`, …). */
  readonly nodeMessages: Readonly<Record<string, readonly UiText[]>>
  /** Values echoed back into the form after a failed submission; never the password. */
  readonly values: Readonly<Record<string, unknown>>
  readonly active: 'password' | 'profile' | 'code' | undefined
}

/** Kratos' flow states: login and registration `choose_method` → `passed_challenge`; settings `show_form` → `success`; recovery and verification `choose_method` → `sent_email` → `passed_challenge`. */
export type FlowState = 'choose_method' | 'sent_email' | 'passed_challenge' | 'show_form' | 'success'

/** What a caller decides about a new flow; ids, times and the outcome are the store's. */
export type NewFlow = Pick<FlowRecord, 'kind' | 'type' | 'requestUrl' | 'returnTo' | 'refresh' | 'csrfSecret' | 'csrfToken'> & {
  readonly messages?: readonly UiText[]
  readonly identityId?: string | undefined
}

/** Flows kept at most; each anonymous visit to an init endpoint creates one. */
const MAX_FLOWS = 20_000

/**
 * Self-service flows in memory. An expired flow is kept as long again as it lived, so a
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
      identityId: fields.identityId,
      challenge: undefined,
      submissions: 0,
      outcome: {
        state: fields.kind === 'settings' ? 'show_form' : 'choose_method',
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
