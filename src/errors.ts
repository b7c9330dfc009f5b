/**
 * Every error that crosses a module boundary is a `ProxyError` with a stable `code`.
 * Callers branch on `code`, never on `message`. The README's "Error codes" table lists them all
 * (a test keeps the two in step).
 */
export type ProxyErrorCode =
  /** A flag, argument or environment value is invalid; the CLI exits with 2. */
  | 'ERR_CONFIG'
  /** The proxy could not bind its port (in use, no permission); the CLI exits with 2. */
  | 'ERR_LISTEN'
  /** The client's request is malformed or unsafe to forward (400). */
  | 'ERR_BAD_REQUEST'
  /** The client did not send its whole request body within the request timeout (408). */
  | 'ERR_REQUEST_TIMEOUT'
  /** The request carries our own Via pseudonym: the upstream points back at the proxy (508). */
  | 'ERR_LOOP_DETECTED'
  /** The upstream refused, reset or could not be resolved before answering (502). */
  | 'ERR_UPSTREAM_UNREACHABLE'
  /** The upstream did not connect or answer in time (504). */
  | 'ERR_UPSTREAM_TIMEOUT'
  /** The upstream answered with something that is not valid HTTP (502). */
  | 'ERR_UPSTREAM_INVALID_RESPONSE'
  /** Ory could not tell whether a credentialed request is signed in (503, fail closed). */
  | 'ERR_ORY_UNAVAILABLE'
  /** The JWT signing pool is saturated (503). */
  | 'ERR_SIGNING_OVERLOADED'
  /** The client went away before the answer was ready (nothing is sent). */
  | 'ERR_CLIENT_ABORTED'
  /** The built-in identity server's `--identity-store` file cannot be read, parsed or written (500; exit 2 at start). */
  | 'ERR_IDENTITY_STORE'
  /** The Ory console API could not be reached or refused a call (start-up: exit 2; shutdown: a warning). */
  | 'ERR_CONSOLE_API'
  /** A `--workers` process could not start (the CLI exits with 2) or died; it is replaced. */
  | 'ERR_WORKER'

export const ERROR_STATUS: Readonly<Record<ProxyErrorCode, number>> = Object.freeze({
  ERR_CONFIG: 0,
  ERR_LISTEN: 0,
  ERR_BAD_REQUEST: 400,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_LOOP_DETECTED: 508,
  ERR_UPSTREAM_UNREACHABLE: 502,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_UPSTREAM_INVALID_RESPONSE: 502,
  ERR_ORY_UNAVAILABLE: 503,
  ERR_SIGNING_OVERLOADED: 503,
  ERR_CLIENT_ABORTED: 499,
  ERR_IDENTITY_STORE: 500,
  ERR_CONSOLE_API: 0,
  ERR_WORKER: 0,
})

export class ProxyError extends Error {
  readonly code: ProxyErrorCode
  /** The HTTP status this error becomes when it ends a request (0 for start-up errors). */
  readonly statusCode: number

  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProxyError'
    this.code = code
    this.statusCode = ERROR_STATUS[code]
  }
}

/** Raised for bad configuration; the CLI prints its message on one line and exits with 2. */
export class ConfigError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options)
    this.name = 'ConfigError'
  }
}

export function isProxyError(error: unknown): error is ProxyError {
  return error instanceof ProxyError
}
