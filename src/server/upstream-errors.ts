import { ProxyError, type ProxyErrorCode } from '../errors.js'

/** undici and socket error codes, row by row, to the one code the proxy answers with. */
const BY_CODE: ReadonlyMap<string, ProxyErrorCode> = new Map<string, ProxyErrorCode>([
  ['UND_ERR_CONNECT_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT'],
  ['UND_ERR_HEADERS_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT'],
  ['UND_ERR_BODY_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT'],
  ['ETIMEDOUT', 'ERR_UPSTREAM_TIMEOUT'],
  ['ECONNREFUSED', 'ERR_UPSTREAM_UNREACHABLE'],
  ['ECONNRESET', 'ERR_UPSTREAM_UNREACHABLE'],
  ['EPIPE', 'ERR_UPSTREAM_UNREACHABLE'],
  ['ENOTFOUND', 'ERR_UPSTREAM_UNREACHABLE'],
  ['EAI_AGAIN', 'ERR_UPSTREAM_UNREACHABLE'],
  ['EHOSTUNREACH', 'ERR_UPSTREAM_UNREACHABLE'],
  ['ENETUNREACH', 'ERR_UPSTREAM_UNREACHABLE'],
  ['EADDRNOTAVAIL', 'ERR_UPSTREAM_UNREACHABLE'],
  ['UND_ERR_SOCKET', 'ERR_UPSTREAM_UNREACHABLE'],
  ['UND_ERR_CLOSED', 'ERR_UPSTREAM_UNREACHABLE'],
  ['UND_ERR_DESTROYED', 'ERR_UPSTREAM_UNREACHABLE'],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ['UND_ERR_INFO', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ['ERR_INVALID_CHAR', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ['ERR_INVALID_HTTP_TOKEN', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ['ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UPSTREAM_INVALID_RESPONSE'],
  // The client's own request could not be sent as it was (a body shorter than its length,
  // a header value undici refuses).
  ['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'ERR_BAD_REQUEST'],
  ['UND_ERR_INVALID_ARG', 'ERR_BAD_REQUEST'],
  ['UND_ERR_NOT_SUPPORTED', 'ERR_BAD_REQUEST'],
  ['UND_ERR_ABORTED', 'ERR_CLIENT_ABORTED'],
  ['ABORT_ERR', 'ERR_CLIENT_ABORTED'],
])

const REASON: Readonly<Partial<Record<ProxyErrorCode, string>>> = {
  ERR_UPSTREAM_TIMEOUT: 'did not answer in time',
  ERR_UPSTREAM_UNREACHABLE: 'could not be reached',
  ERR_UPSTREAM_INVALID_RESPONSE: 'sent an invalid response',
  ERR_BAD_REQUEST: 'could not be sent this request',
  ERR_CLIENT_ABORTED: 'request was abandoned by the client',
}

/**
 * Turns whatever undici or a socket threw into one {@link ProxyError}, keeping the original as
 * `cause`. `upstream` names the origin in the message, e.g. `the app at http://localhost:3000`.
 */
export function upstreamError(error: unknown, upstream: string): ProxyError {
  if (error instanceof ProxyError) return error
  const code = errorCode(error)
  const mapped: ProxyErrorCode =
    BY_CODE.get(code) ??
    // llhttp parse errors (HPE_*) and TLS verification failures.
    (code.startsWith('HPE_') ? 'ERR_UPSTREAM_INVALID_RESPONSE' : 'ERR_UPSTREAM_UNREACHABLE')
  const detail = error instanceof Error && error.message ? `: ${error.message}` : code ? `: ${code}` : ''
  return new ProxyError(mapped, `${upstream} ${REASON[mapped]}${detail}`, { cause: error })
}

/**
 * Errors that mean a pooled connection was closed by the upstream as the request went out on it
 * (the keep-alive race of checklist c6), as opposed to an upstream that is down or broken.
 */
const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

/** Whether `error` is one a safe request may be retried after, on a fresh connection. */
export function isStaleConnection(error: unknown): boolean {
  return STALE_CONNECTION.has(errorCode(error))
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') return code
    const name = (error as { name?: unknown }).name
    if (name === 'AbortError') return 'ABORT_ERR'
    // undici's parser errors carry no code for some failures ("Expected HTTP/").
    if (name === 'HTTPParserError') return 'HPE_INVALID'
    const cause = (error as { cause?: unknown }).cause
    if (cause) return errorCode(cause)
  }
  return ''
}
