import type { Dispatcher } from 'undici'
import { ForwardHandler, type ForwardContext, type FrontResponse, type RequestInfo } from './forward.js'
import type { FrontRequest } from './pipeline.js'

/** API logout bodies are `{"session_token":"…"}`; anything longer is streamed unread. */
const MAX_LOGOUT_BODY_BYTES = 16 * 1024

/**
 * Kratos' two logout endpoints, after `/.ory`: the browser's `GET /self-service/logout?token=…`
 * and the API's `DELETE /self-service/logout/api` (the session token in the JSON body).
 * `/self-service/logout/browser` only creates the logout URL, so it is not one of them.
 */
export function logoutKind(method: string, target: string): 'browser' | 'api' | undefined {
  const query = target.indexOf('?')
  const path = query === -1 ? target : target.slice(0, query)
  if (path === '/.ory/self-service/logout' && method === 'GET') return 'browser'
  if (path === '/.ory/self-service/logout/api' && method === 'DELETE') return 'api'
  return undefined
}

/**
 * Reads a small request body whole (an API logout names its session token there), or resolves
 * undefined when the body is declared too long or not declared at all (it is then streamed).
 */
export function readSmallBody(req: FrontRequest, contentLength: string | undefined): Promise<Buffer | undefined> {
  const length = contentLength === undefined ? Number.NaN : Number(contentLength)
  if (!(length > 0 && length <= MAX_LOGOUT_BODY_BYTES)) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

/** `session_token` from an API logout body, when it is the JSON Kratos expects. */
export function sessionTokenOf(body: Buffer | undefined): string | undefined {
  if (body === undefined) return undefined
  try {
    const token = (JSON.parse(body.toString('utf8')) as { session_token?: unknown } | null)?.session_token
    return typeof token === 'string' ? token : undefined
  } catch {
    return undefined
  }
}

/**
 * Forwards a logout like any Ory request and reports once Ory accepted it (a 2xx or 3xx head), so
 * the session's cache entry goes only when the session is really gone.
 */
export class LogoutForwardHandler extends ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #onAccepted: () => void

  constructor(res: FrontResponse, ctx: ForwardContext, request: RequestInfo, onAccepted: () => void) {
    super(res, ctx, request)
    this.#onAccepted = onAccepted
  }

  override onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (status >= 200 && status < 400) this.#onAccepted()
    return super.onHeaders(status, rawHeaders, resume)
  }
}
