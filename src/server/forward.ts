import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { ERROR_STATUS, type ProxyError, type ProxyErrorCode } from '../errors.js'
import type { Logger } from '../logger.js'
import { http2 } from '../node-builtins.js'
import type { ProxyObserver } from './observer.js'
import type { RawTrailers, ResponseHead, ResponseHeaderRules, TrailerMode } from './response-headers.js'
import { isRewritable, rewriteBody, type BodyRule } from './rewrite/body.js'
import type { Route } from './router.js'
import type { Tunnels, UpgradeResponse } from './tunnel.js'
import { isStaleConnection, upstreamError } from './upstream-errors.js'

export type FrontResponse = ServerResponse | Http2ServerResponse

/** Per-server collaborators every forwarded request shares. */
export interface ForwardContext {
  readonly rules: ResponseHeaderRules
  /** Body rewrite for Ory responses; undefined turns it off. */
  readonly oryBody: BodyRule | undefined
  readonly logger: Logger
  /** Where upgraded requests become WebSocket tunnels. */
  readonly tunnels: Tunnels
  /**
   * Writes the proxy's own error answer and reports it (the observer's `requestEnded`); only called
   * before any response byte was sent.
   */
  readonly respondError: (res: FrontResponse, error: ProxyError, request: RequestInfo) => void
  /** Told when each request ends and what became of rewrite candidates; undefined: nobody asks. */
  readonly observer: ProxyObserver | undefined
}

/**
 * What the session gate did for a request, for the request log and metrics: `hit` reused a cached token, `renew`
 * re-signed a cached session, `miss` asked whoami, `shared` waited for another request's whoami
 * call, `peer` took the answer another worker or proxy got (the shared level), `bypass` looked
 * nothing up (no credentials, not app-bound, or `--no-jwt`).
 */
export type SessionOutcome = 'hit' | 'renew' | 'miss' | 'shared' | 'peer' | 'bypass'

/** Filled in by the session gate when an observer asks for it (the request itself is passed). */
export interface SessionTrace {
  session: SessionOutcome
}

/**
 * What the handler knows about the request it answers. The timing and session fields are written
 * only when an observer (request log, metrics) is there: they are part of the one object every
 * request has anyway, so without one they cost nothing.
 */
export interface RequestInfo extends SessionTrace {
  readonly route: Route
  readonly method: string
  readonly target: string
  readonly requestId: string
  readonly origin: string | undefined
  readonly accept: string | undefined
  /** `the app at http://localhost:3000`, for error messages. */
  readonly upstreamLabel: string
  /** `performance.now()` at arrival when observed, else 0. */
  readonly startedAt: number
  /** A WebSocket handshake: the app may switch protocols (`onUpgrade`). */
  readonly upgrade: boolean
  /** How the client takes the response's trailers. */
  readonly trailers: TrailerMode
  /** Observed: when the request went to the upstream pool (0: it did not). */
  dispatchedAt: number
  /** Observed: ms from dispatch to the upstream's response head (-1: none came). */
  upstreamMs: number
  /** Observed: whether the app got the proxy's JWT. */
  jwt: boolean
  /** The code of the proxy's own error that ended the request (its answer, or 499), if one did. */
  errorCode: ProxyErrorCode | undefined
}

/** Whether the client can no longer receive this response (HTTP/2: its stream is gone). */
export function clientGone(res: FrontResponse): boolean {
  return 'stream' in res ? res.stream.destroyed : res.destroyed
}

const kHandler = Symbol('ory-proxy.forward-handler')
type TrackedResponse = FrontResponse & { [kHandler]?: ForwardHandler }

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Streaming state: head written, body chunks go straight through. */
const STREAM = 0
/** Ory body being collected for a rewrite; nothing written yet. */
const BUFFER = 1
const DONE = 2

/**
 * An undici dispatch handler that streams an upstream response to the client with back-pressure
 * (raw header buffers, no intermediate Readable). Upstream failures before the head is written
 * become the proxy's error page; after it, the client connection is destroyed so a truncated body
 * never looks complete (checklist c3).
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #res: TrackedResponse
  readonly #ctx: ForwardContext
  readonly #request: RequestInfo
  #abort: ((error?: Error) => void) | undefined = undefined
  #resume: (() => void) | undefined = undefined
  #state = STREAM
  #status = 0
  #trailers: TrailerMode = 'none'
  #head: ResponseHead | undefined = undefined
  #chunks: Buffer[] | undefined = undefined
  #buffered = 0
  #draining = false
  #settled = false
  /** Set while a retry is still allowed: the pool and options to send the request with again. */
  #retryPool: Dispatcher | undefined = undefined
  #retryOptions: Dispatcher.DispatchOptions | undefined = undefined

  constructor(res: FrontResponse, ctx: ForwardContext, request: RequestInfo) {
    this.#res = res as TrackedResponse
    this.#ctx = ctx
    this.#request = request
    this.#res[kHandler] = this
    res.on('close', onClientClose)
  }

  /**
   * Sends the request through `pool`. A safe request without a body (GET, HEAD, OPTIONS) may be
   * sent once more if the pooled connection it went out on turns out to have been closed by the
   * upstream before any answer (checklist c6): that is a race with the upstream's keep-alive
   * timeout, not an upstream failure, and nothing reached the application.
   */
  send(pool: Dispatcher, options: Dispatcher.DispatchOptions): void {
    if (options.body === null && SAFE_METHODS.has(options.method)) {
      this.#retryPool = pool
      this.#retryOptions = options
    }
    pool.dispatch(options, this)
  }

  /** Ends the exchange with `error` (the upstream request aborted, the client answered with it). */
  fail(error: ProxyError): void {
    if (this.#abort !== undefined) this.#abort(error)
    else this.onError(error)
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort
    if (clientGone(this.#res)) abort()
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // undici reports informational responses here too; only the final one is relayed.
    if (status < 200) return true
    this.#status = status
    this.#resume = resume
    const request = this.#request
    if (request.dispatchedAt !== 0) request.upstreamMs = performance.now() - request.dispatchedAt
    // No body, so no trailers, after a HEAD, 204 or 304 (RFC 9110 §6.4.1). Ory sends none, and its
    // bodies may be rewritten and re-framed with a Content-Length, which excludes them on HTTP/1.1.
    const bodyless = request.method === 'HEAD' || status === 204 || status === 304
    this.#trailers = bodyless || request.route === 'ory' ? 'none' : request.trailers
    const head = this.#ctx.rules.compose(rawHeaders, request.route, request.requestId, request.origin, request.method, this.#trailers)
    const body = this.#ctx.oryBody
    if (request.route === 'ory' && body !== undefined && isRewritable(head.contentType, head.contentEncoding)) {
      if (request.method === 'HEAD') {
        // The GET body would be rewritten, so its length is unknown (checklist a8).
        dropContentLength(head)
      } else if (status !== 204 && status !== 304) {
        const declared = head.contentLengthIndex === -1 ? 0 : Number(head.headers[head.contentLengthIndex])
        if (declared <= body.maxBytes) {
          this.#head = head
          this.#chunks = []
          this.#state = BUFFER
          return true
        }
        this.#ctx.observer?.bodyRewrite('too_large', 0)
        this.#ctx.logger.debug({ event: 'rewrite-skipped', request: request.requestId, reason: 'body too large', bytes: declared })
      }
    }
    // A server must not send a Content-Length with a 204 (RFC 9110 §8.6), whatever the app said.
    if (status === 204) dropContentLength(head)
    if (!this.#writeHead(head)) return false
    if (bodyless) this.#endBodyless()
    return true
  }

  onData(chunk: Buffer): boolean {
    // Bytes after a bodyless answer (a 204 "with a body"): the client's response is complete already.
    if (this.#state === DONE) return true
    if (this.#state === BUFFER) {
      this.#chunks!.push(chunk)
      this.#buffered += chunk.length
      if (this.#buffered > this.#ctx.oryBody!.maxBytes) this.#flushUnmodified('body too large')
      return true
    }
    const res = this.#res
    if (clientGone(res)) return false
    // Every chunk read in one turn of the event loop leaves in one writev, with the head if it has
    // not gone yet. At 64 KiB, one send to the client a response instead of two (the head with its
    // first chunk, then the rest of the 64 KiB read): 1.99 -> 1.00 writev a request. At 1 MiB, the
    // reads of a turn go out together rather than one send each: a steadier p99 (bench/README.md).
    // Nothing waits past the turn: the socket is uncorked on setImmediate, whether or not the
    // response ended.
    const socket = 'stream' in res ? null : res.socket
    if (socket !== null && socket.writableCorked === 0) {
      socket.cork()
      setImmediate(uncorkLater, socket)
    }
    if ((res as ServerResponse).write(chunk)) return true
    if (!this.#draining) {
      this.#draining = true
      res.on('drain', onClientDrain)
    }
    return false
  }

  onComplete(trailers: RawTrailers | null): void {
    if (this.#state === DONE) return
    if (this.#state === BUFFER) {
      void this.#finishRewrite()
      return
    }
    this.#state = DONE
    if (trailers !== null && this.#trailers !== 'none') this.#ctx.rules.addTrailers(this.#res, trailers)
    this.#res.end()
    this.#done()
  }

  /** The app switched protocols (101): the client side becomes a tunnel. */
  onUpgrade(status: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    this.#state = DONE
    this.#status = status
    const request = this.#request
    if (request.dispatchedAt !== 0) request.upstreamMs = performance.now() - request.dispatchedAt
    if (clientGone(this.#res)) {
      upstream.destroy()
    } else {
      const head = this.#ctx.rules.compose((rawHeaders ?? []) as Buffer[], request.route, request.requestId, request.origin, 'GET', 'none', true)
      this.#ctx.tunnels.accept(this.#res as UpgradeResponse | Http2ServerResponse, head.headers, upstream)
    }
    this.#done()
  }

  onError(error: Error): void {
    if (this.#settled) return
    const retryPool = this.#retryPool
    if (retryPool !== undefined && this.#status === 0 && this.#state === STREAM && isStaleConnection(error)) {
      this.#retryPool = undefined
      if (!clientGone(this.#res)) return void retryPool.dispatch(this.#retryOptions!, this)
    }
    const state = this.#state
    this.#state = DONE
    const res = this.#res
    const failure = upstreamError(error, this.#request.upstreamLabel)
    if (failure.code === 'ERR_CLIENT_ABORTED' || clientGone(res)) {
      // Whatever the upstream says now, the client left first: not the upstream's failure.
      if (!res.headersSent) {
        this.#status = ERROR_STATUS.ERR_CLIENT_ABORTED
        this.#request.errorCode = 'ERR_CLIENT_ABORTED'
      }
      this.#done()
      return
    }
    if (!res.headersSent && state !== DONE) {
      // respondError reports the answer itself: one --debug line per request.
      this.#detach()
      this.#ctx.respondError(res, failure, this.#request)
      return
    }
    // Headers are out: only an abrupt close tells the client the body is incomplete.
    this.#ctx.logger.warn(`request ${this.#request.requestId}: ${failure.message}; response truncated`)
    abortResponse(res)
    this.#status = failure.statusCode
    this.#request.errorCode = failure.code
    this.#done()
  }

  /** Called when the client's response closes before it finished: stop the upstream request. */
  clientClosed(): void {
    // writableEnded, not writableFinished: an HTTP/2 response reports itself finished when its
    // stream is reset (Node's compat layer), which would leave a half-sent body flowing upstream.
    if (this.#state !== DONE && !this.#res.writableEnded) this.#abort?.()
  }

  /** The client drained its buffer: let undici read on. */
  clientDrained(): void {
    this.#draining = false
    this.#res.off('drain', onClientDrain)
    this.#resume?.()
  }

  #writeHead(head: ResponseHead): boolean {
    const res = this.#res
    if (clientGone(res)) return false
    try {
      res.writeHead(this.#status, head.headers as unknown as Record<string, string>)
    } catch (error) {
      // A header value Node refuses to write (CR/LF, invalid characters): response splitting
      // from the upstream is answered 502, never passed on (checklist b10).
      this.#abort?.()
      this.onError(error as Error)
      return false
    }
    return true
  }

  /**
   * A HEAD, 204 or 304 answer is whole with its head (RFC 9110 §6.4.1), so it ends here: bytes an
   * app sends after one anyway are discarded, and undici's complaint about them (its connection is
   * out of step) reaches neither this client nor a request queued behind it (checklist a8).
   */
  #endBodyless(): void {
    this.#state = DONE
    this.#res.end()
    this.#done()
  }

  #flushUnmodified(reason: string): void {
    const chunks = this.#chunks!
    this.#chunks = undefined
    this.#state = STREAM
    this.#ctx.observer?.bodyRewrite('too_large', this.#buffered)
    this.#ctx.logger.debug({ event: 'rewrite-skipped', request: this.#request.requestId, reason })
    if (!this.#writeHead(this.#head!)) return
    for (const chunk of chunks) (this.#res as ServerResponse).write(chunk)
  }

  async #finishRewrite(): Promise<void> {
    const head = this.#head!
    const original: Buffer = Buffer.concat(this.#chunks!)
    this.#chunks = undefined
    let body = original
    try {
      body = await rewriteBody(original, head.contentEncoding, this.#ctx.oryBody!)
      this.#ctx.observer?.bodyRewrite(body === original ? 'unchanged' : 'rewritten', original.length)
      // Said for every buffered body, so `--debug` shows which Ory answers carried Ory URLs.
      if (this.#ctx.logger.debugEnabled) this.#logRewrite(head, original, body)
    } catch (error) {
      this.#ctx.observer?.bodyRewrite('undecodable', original.length)
      this.#ctx.logger.debug({
        event: 'rewrite-skipped',
        request: this.#request.requestId,
        reason: `body could not be decoded: ${(error as Error).message}`,
      })
    }
    this.#state = DONE
    if (body !== original) setContentLength(head, body.length)
    if (this.#writeHead(head)) this.#res.end(body)
    this.#done()
  }

  #logRewrite(head: ResponseHead, original: Buffer, body: Buffer): void {
    this.#ctx.logger.debug({
      event: body === original ? 'rewrite-skipped' : 'rewrite',
      request: this.#request.requestId,
      part: 'body',
      ...(body === original ? { reason: 'no Ory URL in the body' } : {}),
      encoding: head.contentEncoding ?? 'identity',
      bytes: original.length,
      rewritten_bytes: body.length,
    })
  }

  #done(): void {
    if (this.#detach()) this.#ctx.observer?.requestEnded(this.#request, this.#status)
  }

  /** Lets go of the response, once; false when that was done already. */
  #detach(): boolean {
    if (this.#settled) return false
    this.#settled = true
    const res = this.#res
    res.off('close', onClientClose)
    res[kHandler] = undefined
    return true
  }
}

/** Uncorks the socket a response corked (the response may have let go of it by now). */
function uncorkLater(socket: Socket): void {
  if (!socket.destroyed && socket.writableCorked > 0) socket.uncork()
}

/**
 * Ends a response whose body was cut, so that its client cannot take it for a whole one (checklist
 * c3): an HTTP/1.1 connection closes; an HTTP/2 stream is reset with INTERNAL_ERROR, since a plain
 * destroy() resets it with NO_ERROR, which clients read as a clean end of the body.
 */
function abortResponse(res: FrontResponse): void {
  if ('stream' in res) res.stream.close(http2().constants.NGHTTP2_INTERNAL_ERROR)
  else res.destroy()
}

function onClientClose(this: TrackedResponse): void {
  this[kHandler]?.clientClosed()
}

function onClientDrain(this: TrackedResponse): void {
  this[kHandler]?.clientDrained()
}

function dropContentLength(head: ResponseHead): void {
  if (head.contentLengthIndex === -1) return
  head.headers.splice(head.contentLengthIndex - 1, 2)
}

function setContentLength(head: ResponseHead, length: number): void {
  if (head.contentLengthIndex === -1) head.headers.push('content-length', String(length))
  else head.headers[head.contentLengthIndex] = String(length)
}
