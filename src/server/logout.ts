import type { Dispatcher } from 'undici'
import { ForwardHandler, type ForwardContext, type FrontResponse, type RequestInfo } from './forward.js'
import type { RawTrailers } from './response-headers.js'
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

/** An upstream event that arrived while a logout's response head was held back. */
type Held = { readonly chunk: Buffer } | { readonly trailers: RawTrailers | null } | { readonly error: Error }

/**
 * Forwards a logout like any Ory request and reports once Ory accepted it (a 2xx or 3xx head), so
 * the session's cache entry goes only when the session is really gone. When the report returns a
 * promise (other workers or proxies are evicting the session), the response is held until it
 * settles: the browser's next request, wherever it lands, then finds the session gone.
 */
export class LogoutForwardHandler extends ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #onAccepted: () => Promise<void> | undefined
  /** Set while the head is held: what came after it, in order. */
  #held: Held[] | undefined = undefined

  constructor(res: FrontResponse, ctx: ForwardContext, request: RequestInfo, onAccepted: () => Promise<void> | undefined) {
    super(res, ctx, request)
    this.#onAccepted = onAccepted
  }

  override onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    const evicted = status >= 200 && status < 400 ? this.#onAccepted() : undefined
    if (evicted === undefined) return super.onHeaders(status, rawHeaders, resume)
    const held: Held[] = (this.#held = [])
    void evicted.then(() => {
      this.#held = undefined
      let flowing = super.onHeaders(status, rawHeaders, resume)
      for (const event of held) {
        if ('chunk' in event) flowing = super.onData(event.chunk)
        else if ('trailers' in event) return super.onComplete(event.trailers)
        else return super.onError(event.error)
      }
      // Otherwise the client's drain resumes it, as for any response.
      if (flowing) resume()
    })
    // Paused until then: undici reads no more of the (small) logout answer.
    return false
  }

  override onData(chunk: Buffer): boolean {
    if (this.#held === undefined) return super.onData(chunk)
    this.#held.push({ chunk })
    return false
  }

  override onComplete(trailers: RawTrailers | null): void {
    if (this.#held === undefined) super.onComplete(trailers)
    else this.#held.push({ trailers })
  }

  override onError(error: Error): void {
    if (this.#held === undefined) super.onError(error)
    else this.#held.push({ error })
  }
}
