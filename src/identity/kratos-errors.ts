import { STATUS_CODES } from '../node-builtins.js'
import { minutesSince, type FlowKind } from './texts.js'

/** The `error` object of Ory's JSON errors (herodot's DefaultError). */
export interface KratosError {
  readonly code: number
  readonly status: string
  readonly id?: string
  /** A short, stable summary (herodot's `error` field, serialised as `message`). */
  readonly message: string
  readonly reason?: string
  readonly details?: Readonly<Record<string, unknown>>
}

/** A whole error response body: `{ "error": {...} }` plus the few top-level fields some errors carry. */
export interface KratosErrorBody {
  readonly error: KratosError
  readonly [field: string]: unknown
}

/** herodot's default `message` per status. */
const MESSAGES: Readonly<Record<number, string>> = {
  400: 'The request was malformed or contained invalid parameters',
  401: 'The request could not be authorized',
  403: 'The requested action was forbidden',
  404: 'The requested resource could not be found',
  405: 'The requested method is not allowed',
  410: 'The requested resource is no longer available',
  413: 'The request body is too large',
  500: 'An internal server error occurred, please contact the system administrator',
}

interface Fields {
  readonly id?: string
  readonly message?: string
  readonly reason?: string
  readonly details?: Readonly<Record<string, unknown>>
}

/** Builds an Ory-shaped error body for `code`. */
export function kratosError(code: number, fields: Fields = {}, extra: Readonly<Record<string, unknown>> = {}): KratosErrorBody {
  const error: KratosError = {
    code,
    status: STATUS_CODES[code] ?? 'Error',
    ...(fields.id === undefined ? {} : { id: fields.id }),
    message: fields.message ?? MESSAGES[code] ?? 'Error',
    ...(fields.reason === undefined ? {} : { reason: fields.reason }),
    ...(fields.details === undefined ? {} : { details: fields.details }),
  }
  return { error, ...extra }
}

/** The error ids below are the ones Ory's SDK helpers test for (`isNoActiveSession`, `isCsrfError`, …). */
export const errors = {
  noActiveSession: () =>
    kratosError(401, {
      id: 'session_inactive',
      message: 'request does not have a valid authentication session',
      reason: 'No active session was found in this request.',
    }),
  csrf: (rejectReason: string) =>
    kratosError(403, {
      id: 'security_csrf_violation',
      message: 'the request was rejected to protect you from Cross-Site-Request-Forgery',
      reason:
        'Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.',
      details: { reject_reason: rejectReason },
    }),
  alreadySignedIn: (kind: FlowKind) =>
    kratosError(400, {
      id: 'session_already_available',
      message: 'you are already logged in',
      reason:
        kind === 'login'
          ? 'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?'
          : `A valid session was detected and thus ${kind} is not possible.`,
    }),
  /** Settings outside the privileged window: where to re-authenticate (a refresh login that comes back). */
  refreshRequired: (redirectTo: string) =>
    kratosError(
      403,
      {
        id: 'session_refresh_required',
        reason: 'The login session is too old and thus not allowed to update these fields. Please re-authenticate.',
      },
      { redirect_browser_to: redirectTo },
    ),
  /** A settings flow submitted with another person's session. */
  identityMismatch: () =>
    kratosError(403, {
      id: 'security_identity_mismatch',
      reason: 'You must restart the flow because the resumable session was initiated by another person.',
    }),
  /** Kratos' answer to a code flow's sixth submission; `continue_with` names the fresh flow. */
  codeTooOften: (continueWith: readonly unknown[]) =>
    kratosError(400, { reason: 'The request was submitted too often. Please request another code.' }, { continue_with: continueWith }),
  returnToForbidden: (returnTo: string) =>
    kratosError(400, {
      id: 'self_service_flow_return_to_forbidden',
      reason: `Requested return_to URL ${JSON.stringify(returnTo)} is not allowed.`,
    }),
  /** Fetching an expired flow: where to start a new one. */
  flowGone: (kind: FlowKind, restartUrl: string, browser: boolean) =>
    kratosError(410, {
      id: 'self_service_flow_expired',
      reason: browser
        ? `The ${kind} flow has expired. Redirect the user to the ${kind} flow init endpoint to initialize a new ${kind} flow.`
        : `The ${kind} flow has expired. Call the ${kind} flow init API endpoint to initialize a new ${kind} flow.`,
      details: browser ? { redirect_to: restartUrl } : { api: restartUrl },
    }),
  /** Submitting an expired flow: `use_flow_id` names the replacement, which carries the expiry message. */
  flowExpired: (expiredAt: number, now: number, replacementId: string, continueWith?: readonly unknown[]) =>
    kratosError(
      410,
      {
        id: 'self_service_flow_expired',
        message: 'self-service flow expired',
        reason: `The self-service flow expired ${minutesSince(expiredAt, now)} minutes ago, initialize a new one.`,
      },
      {
        expired_at: new Date(expiredAt).toISOString(),
        // Deprecated in Kratos in favour of expired_at; a Go duration in nanoseconds.
        since: Math.max(0, now - expiredAt) * 1_000_000,
        use_flow_id: replacementId,
        ...(continueWith === undefined ? {} : { continue_with: continueWith }),
      },
    ),
  notFound: (reason: string) => kratosError(404, { reason }),
  badRequest: (reason: string) => kratosError(400, { reason }),
  forbidden: (reason: string) => kratosError(403, { reason }),
  unauthorized: (reason: string) => kratosError(401, { reason }),
  methodNotAllowed: (allowed: string) => kratosError(405, { reason: `Use ${allowed}.` }),
  bodyTooLarge: (limit: number) => kratosError(413, { reason: `The request body must be at most ${limit} bytes.` }),
  internal: (reason: string) => kratosError(500, { reason }),
} as const
