import type { ProxyConfig } from '../config.js'
import type { OryRequestOptions } from '../server/upstream-headers.js'
import type { SessionSettings } from '../session/gate.js'
import type { SigningKey } from '../session/keys.js'

/** Everything a worker needs to serve what a single process would, decided once by the primary. */
export interface WorkerPlan {
  readonly config: ProxyConfig
  /** Undefined with `--no-jwt`. The key is the primary's, so every worker signs with it. */
  readonly session: { readonly settings: SessionSettings; readonly key: SigningKey } | undefined
  readonly oryRequest: OryRequestOptions
  readonly log: { readonly quiet: boolean; readonly debug: boolean }
  /** The `Via` name every worker uses, so a request looping back to any of them is caught at once. */
  readonly viaPseudonym: string
}

/** Primary → worker. */
export type PrimaryMessage =
  | { readonly t: 'plan'; readonly plan: WorkerPlan }
  | { readonly t: 'close' }
  /** How many client connections each worker should hold now. */
  | { readonly t: 'share'; readonly share: number }
  /** A scrape: the worker's metrics, please (answered with the same id). */
  | { readonly t: 'metrics'; readonly id: number }

/** Worker → primary, besides the shared session level's own messages. */
export type WorkerMessage =
  /** Listening for messages: the primary may send the plan. */
  | { readonly t: 'waiting' }
  /** Listening on the proxy's port (and, with --metrics, signing). */
  | { readonly t: 'ready' }
  /** The plan could not be served (port in use, ...): the error's code and one-line message. */
  | { readonly t: 'failed'; readonly code: string; readonly message: string }
  /** Client connections this worker holds now (sent four times a second). */
  | { readonly t: 'connections'; readonly open: number }
  /** Its metrics as prom-client JSON, for the scrape `id`. */
  | { readonly t: 'metrics'; readonly id: number; readonly metrics: object[] }
