import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import { v4 as uuid } from '@napi-rs/uuid'
import type { Dispatcher } from 'undici'
import { DEFAULTS, type ProxyConfig } from '../config.js'
import { ERROR_STATUS, ProxyError } from '../errors.js'
import type { Logger } from '../logger.js'
import { STATUS_CODES } from '../node-builtins.js'
import { CorsPolicy } from './cors.js'
import { probeWhenBodyStalls } from './dead-session.js'
import { renderErrorPage } from './error-page.js'
import {
  clientGone,
  ForwardHandler,
  type ForwardContext,
  type FrontResponse,
  type RequestInfo,
  type SessionTrace,
} from './forward.js'
import { InboundHeaders, type ScanPolicy } from './inbound-headers.js'
import { LogoutForwardHandler, logoutKind, readSmallBody, sessionTokenOf } from './logout.js'
import type { ProxyObserver } from './observer.js'
import { checkRequest, checkUpgrade, type Rejection } from './request-guard.js'
import { addOwnHeaders, ResponseHeaderRules } from './response-headers.js'
import { DEFAULT_MAX_REWRITE_BYTES, type BodyRule } from './rewrite/body.js'
import { watchBodyDeadline } from './request-deadline.js'
import { ORY_PREFIX, routeOf, upstreamPath, type Route } from './router.js'
import { UpgradeResponse, websocketKey, type Tunnels } from './tunnel.js'
import { requestHeadBytes, UpstreamHeaderRules, type OryRequestOptions } from './upstream-headers.js'
import { newViaPseudonym, ViaEntry } from './via.js'

export type FrontRequest = IncomingMessage | Http2ServerRequest

/**
 * Decides, per app-bound request, what identity the app is told about. Implemented by the session
 * layer; absent with `--no-jwt`.
 */
export interface SessionGate {
  /**
   * The `Authorization` value for the app (`Bearer <jwt>`), or undefined for an anonymous request.
   * Returns synchronously on a warm cache. Rejects with a {@link ProxyError} (503) when Ory cannot
   * tell, so nothing is forwarded. `trace` is given only when the request is observed (request log,
   * metrics): the gate says there what it did (cache hit, miss, ...). `headers` also carry the
   * request's trace context, which a whoami call it causes carries on.
   */
  authorize(
    headers: InboundHeaders,
    requestId: string,
    trace?: SessionTrace,
  ): string | undefined | Promise<string | undefined>
  /** The public JWKS document served at `/.ory/jwks.json`. */
  readonly jwks: { readonly body: string; readonly etag: string }
  /**
   * Told once Ory accepted a logout passing through the proxy, so the session's cache entry goes
   * at once; `sessionToken` is the one an API logout names in its body. A promise holds the
   * logout's response until it settles (other workers or proxies are dropping the session too).
   */
  loggedOut?(headers: InboundHeaders, sessionToken: string | undefined): Promise<void> | undefined
  /**
   * The same identity's token without its session claim, for a request with too little room left
   * in its head for the whole one; undefined when `authorization` has no such claim to leave out.
   */
  leanAuthorization?(authorization: string): Promise<string> | undefined
  /** Releases the gate's own resources; called by the proxy's `close()` after the servers. */
  close?(): Promise<void>
}

export interface PipelineDeps {
  readonly app: Dispatcher
  /** App-bound WebSocket upgrades (HTTP/1.1 even when `app` speaks HTTP/2). */
  readonly appTunnel: Dispatcher
  readonly ory: Dispatcher
  readonly tunnels: Tunnels
  readonly logger: Logger
  /** The request log and metrics; undefined: nothing is measured per request. */
  readonly observer?: ProxyObserver | undefined
  readonly gate?: SessionGate | undefined
  readonly oryRequest?: OryRequestOptions | undefined
  /** Bodies of Ory responses above this size pass through unmodified. */
  readonly maxRewriteBytes?: number | undefined
  /** The proxy's name in `Via`; undefined: a new one ({@link newViaPseudonym}). */
  readonly viaPseudonym?: string | undefined
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/

/** A logout on its way to Ory: its body when it was read for the session token, and who to tell. */
interface LogoutWatch {
  readonly body: Buffer | undefined
  readonly onAccepted: () => Promise<void> | undefined
}

/**
 * Marks a connection whose request was refused: requests Node already parsed behind it (pipelined
 * bytes after bad framing, the smuggling payload) are dropped, never forwarded.
 */
const kRefused = Symbol('ory-proxy.refused-connection')
type MarkableSocket = { [kRefused]?: true } | null | undefined

/**
 * The one request pipeline both fronts (HTTP/1.1 and HTTP/2) feed: validate, route, answer CORS
 * preflights and the JWKS, ask the session gate, then forward through the route's pool.
 */
export class RequestPipeline {
  readonly #via: ViaEntry
  readonly #config: ProxyConfig
  readonly #deps: PipelineDeps
  readonly #cors: CorsPolicy
  readonly #upstream: UpstreamHeaderRules
  readonly #forward: ForwardContext
  readonly #policies: Readonly<Record<Route, ScanPolicy>>
  readonly #labels: Readonly<Record<Route, string>>
  readonly #failing: Record<Route, boolean> = { app: false, ory: false, jwks: false }

  constructor(config: ProxyConfig, deps: PipelineDeps) {
    this.#config = config
    this.#deps = deps
    this.#via = new ViaEntry(deps.viaPseudonym ?? newViaPseudonym())
    this.#cors = new CorsPolicy(config.cors, config.publish.origin)
    this.#upstream = new UpstreamHeaderRules(config, this.#via, deps.oryRequest)
    const jwt = deps.gate !== undefined
    this.#policies = {
      app: { dropAuthorization: jwt, dropRateLimit: true },
      ory: { dropAuthorization: false, dropRateLimit: this.#upstream.dropsRateLimit('ory') },
      jwks: { dropAuthorization: false, dropRateLimit: true },
    }
    this.#labels = {
      app: `the app at ${config.app.origin}${config.app.pathPrefix}`,
      ory: `Ory at ${config.ory.origin}${config.ory.pathPrefix}`,
      jwks: 'the JWKS endpoint',
    }
    const oryBody: BodyRule = {
      search: Buffer.from(config.ory.origin + config.ory.pathPrefix),
      replace: Buffer.from(config.publish.origin + ORY_PREFIX),
      maxBytes: deps.maxRewriteBytes ?? DEFAULT_MAX_REWRITE_BYTES,
    }
    this.#forward = {
      rules: new ResponseHeaderRules(config, this.#cors, this.#via),
      oryBody,
      logger: deps.logger,
      tunnels: deps.tunnels,
      respondError: (res, error, request) => this.#respondError(res, error, request),
      observer: deps.observer,
    }
  }

  /** The `request` listener for both fronts. */
  readonly handle = (req: FrontRequest, res: FrontResponse): void => {
    if ((req.socket as MarkableSocket)?.[kRefused]) return void res.destroy()
    // An HTTP/2 CONNECT without :protocol has no :path (RFC 9113 §8.5); it is refused below.
    const target = req.url ?? ''
    const method = req.method!
    const route = routeOf(target, this.#deps.gate !== undefined)
    const inbound = new InboundHeaders(req.rawHeaders, this.#policies[route])
    const h2 = req.httpVersionMajor === 2
    // An HTTP/1.1 upgrade, or an HTTP/2 extended CONNECT (RFC 8441), both only for WebSockets.
    const upgrade = res instanceof UpgradeResponse || inbound.protocol !== undefined
    const requestId =
      inbound.requestId !== undefined && REQUEST_ID.test(inbound.requestId) ? inbound.requestId : uuid()
    const request: RequestInfo = {
      route,
      method,
      target,
      requestId,
      origin: inbound.origin,
      accept: inbound.accept,
      upstreamLabel: this.#labels[route],
      startedAt: this.#deps.observer === undefined ? 0 : performance.now(),
      upgrade,
      // HTTP/2 always carries trailers; HTTP/1.1 only to a client that said `TE: trailers`.
      trailers: h2 ? 'h2' : inbound.teTrailers && req.httpVersion === '1.1' ? 'h1' : 'none',
      dispatchedAt: 0,
      upstreamMs: -1,
      session: 'bypass',
      jwt: false,
      errorCode: undefined,
    }
    const rejection =
      checkRequest(method, target, req.httpVersion, inbound, this.#via.pseudonym) ??
      (upgrade ? checkUpgrade(method, route, inbound) : undefined)
    if (rejection !== undefined) return this.#reject(res, rejection, request)
    if (method === 'OPTIONS' && inbound.accessControlRequestMethod !== undefined) {
      return this.#preflight(res, inbound, request)
    }
    if (inbound.origin !== undefined && this.#deps.logger.debugEnabled) {
      this.#deps.logger.debug({ event: 'cors', request: requestId, origin: inbound.origin, ...this.#cors.decide(inbound.origin) })
    }
    if (route === 'jwks') return this.#serveJwks(res, request)
    const gate = this.#deps.gate
    if (route === 'ory' && gate?.loggedOut !== undefined) {
      const logout = logoutKind(method, target)
      if (logout !== undefined) return this.#forwardLogout(req, res, inbound, request, logout === 'api', gate)
    }
    if (route !== 'app' || gate === undefined) return this.#dispatch(req, res, inbound, request, undefined)
    let authorization: string | undefined | Promise<string | undefined>
    try {
      authorization = gate.authorize(inbound, requestId, request.startedAt === 0 ? undefined : request)
    } catch (error) {
      return this.#respondError(res, asProxyError(error), request)
    }
    if (typeof authorization !== 'object') return this.#dispatch(req, res, inbound, request, authorization)
    authorization.then(
      (value) => this.#dispatch(req, res, inbound, request, value),
      (error: unknown) => this.#respondError(res, asProxyError(error), request),
    )
  }

  /** The client left before anything was sent (e.g. while its session was looked up). */
  #clientLeft(request: RequestInfo): void {
    request.errorCode = 'ERR_CLIENT_ABORTED'
    this.#deps.observer?.requestEnded(request, ERROR_STATUS.ERR_CLIENT_ABORTED)
  }

  #dispatch(
    req: FrontRequest,
    res: FrontResponse,
    inbound: InboundHeaders,
    request: RequestInfo,
    authorization: string | undefined,
    logout?: LogoutWatch,
  ): void {
    if (clientGone(res)) return this.#clientLeft(request)
    const route = request.route
    const upstream = route === 'app' ? this.#config.app : this.#config.ory
    const path = upstreamPath(route, request.target, upstream.pathPrefix)
    const headers = this.#upstream.complete(inbound, route, req.socket?.remoteAddress, req.httpVersion, request.requestId, authorization)
    if (request.startedAt !== 0) request.jwt = authorization !== undefined
    if (authorization !== undefined && requestHeadBytes(request.method, path, headers) > DEFAULTS.appRequestHeadBytes) {
      const lean = this.#deps.gate!.leanAuthorization?.(authorization)
      if (lean !== undefined) {
        lean.then(
          (value) => {
            // The app's Authorization is the last header complete() adds.
            headers[headers.length - 1] = value
            if (clientGone(res)) return this.#clientLeft(request)
            this.#send(req, res, inbound, request, path, headers, logout)
          },
          (error: unknown) => this.#respondError(res, asProxyError(error), request),
        )
        return
      }
    }
    this.#send(req, res, inbound, request, path, headers, logout)
  }

  /** Hands the request, its head complete, to its route's pool. */
  #send(
    req: FrontRequest,
    res: FrontResponse,
    inbound: InboundHeaders,
    request: RequestInfo,
    path: string,
    headers: string[],
    logout: LogoutWatch | undefined,
  ): void {
    const route = request.route
    const handler =
      logout === undefined
        ? new ForwardHandler(res, this.#forward, request)
        : new LogoutForwardHandler(res, this.#forward, request, logout.onAccepted)
    const upgrade = request.upgrade
    // The app upgrades over HTTP/1.1: an HTTP/2 client's extended CONNECT becomes a GET with a key.
    if (upgrade && request.method === 'CONNECT') headers.push('sec-websocket-key', websocketKey())
    const pool = route === 'ory' ? this.#deps.ory : upgrade ? this.#deps.appTunnel : this.#deps.app
    if (request.startedAt !== 0) request.dispatchedAt = performance.now()
    const body = upgrade ? null : (logout?.body ?? (hasBody(req, inbound) ? req : null))
    if (body === req) this.#watchBody(req, (error) => handler.fail(error))
    handler.send(pool, {
      path,
      method: upgrade ? 'GET' : (request.method as 'GET'),
      headers,
      body,
      upgrade: upgrade ? 'websocket' : null,
    })
  }

  /** A logout goes to Ory as usual; the gate evicts the session once Ory accepted it. */
  #forwardLogout(
    req: FrontRequest,
    res: FrontResponse,
    inbound: InboundHeaders,
    request: RequestInfo,
    api: boolean,
    gate: SessionGate,
  ): void {
    // Watched while the proxy reads it; once dispatched, a body left unread gets the handler's watch.
    const stopWatch = api ? this.#watchBody(req, (error) => this.#respondError(res, error, request)) : undefined
    const body = api ? readSmallBody(req, inbound.contentLength) : Promise.resolve(undefined)
    body.then(
      (buffered) => {
        stopWatch?.()
        const token = sessionTokenOf(buffered)
        this.#dispatch(req, res, inbound, request, undefined, {
          body: buffered,
          onAccepted: () => gate.loggedOut!(inbound, token),
        })
      },
      () => {
        // A body that stalled got its 408 from the watch above: that answer was the report.
        const answered = res.headersSent
        res.destroy()
        if (!answered) this.#clientLeft(request)
      },
    )
  }

  /**
   * HTTP/2 only (Node times HTTP/1.1 requests itself, and sees its client leave): `answer` gets a
   * 408 when the body stalls past the request timeout, and a pause in it has the session checked
   * for being dead. Returns what stops the deadline (undefined over HTTP/1.1).
   */
  #watchBody(req: FrontRequest, answer: (error: ProxyError) => void): (() => void) | undefined {
    if (!('stream' in req)) return undefined
    probeWhenBodyStalls(req)
    const ms = this.#config.timeouts.requestMs
    return watchBodyDeadline(req, ms, () =>
      answer(new ProxyError('ERR_REQUEST_TIMEOUT', `The request body did not arrive within ${ms} ms.`)),
    )
  }

  #reject(res: FrontResponse, rejection: Rejection, request: RequestInfo): void {
    // The request may carry a body we will not read; closing keeps the connection in sync, and
    // nothing else from this connection is forwarded.
    if ('shouldKeepAlive' in res) {
      res.shouldKeepAlive = false
      const socket = res.socket as MarkableSocket
      if (socket) socket[kRefused] = true
    }
    request.errorCode = rejection.code
    this.#writeAnswer(res, rejection.status, rejection.title, rejection.detail, request, [])
  }

  #preflight(res: FrontResponse, inbound: InboundHeaders, request: RequestInfo): void {
    const headers = this.#cors.preflightHeaders(
      inbound.origin,
      inbound.accessControlRequestMethod!,
      inbound.accessControlRequestHeaders,
    )
    if (this.#deps.logger.debugEnabled) {
      this.#deps.logger.debug({
        event: 'cors-preflight',
        request: request.requestId,
        origin: inbound.origin ?? null,
        ...(inbound.origin === undefined ? { allowed: false, reason: 'no Origin' } : this.#cors.decide(inbound.origin)),
      })
    }
    headers.push('content-length', '0')
    addOwnHeaders(headers, request.requestId)
    res.writeHead(204, headers as unknown as Record<string, string>)
    res.end()
    this.#deps.observer?.requestEnded(request, 204)
  }

  #serveJwks(res: FrontResponse, request: RequestInfo): void {
    const jwks = this.#deps.gate!.jwks
    const headers = [
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(jwks.body)),
      'cache-control',
      'public, max-age=60',
      'etag',
      jwks.etag,
    ]
    this.#forward.rules.addProxyHeaders(headers, request.requestId, request.origin, request.method)
    res.writeHead(200, headers as unknown as Record<string, string>)
    if (request.method === 'HEAD') res.end()
    else res.end(jwks.body)
    this.#deps.observer?.requestEnded(request, 200)
  }

  #respondError(res: FrontResponse, error: ProxyError, request: RequestInfo): void {
    if (res.headersSent) return
    if (clientGone(res) || error.code === 'ERR_CLIENT_ABORTED') {
      res.destroy()
      return this.#clientLeft(request)
    }
    request.errorCode = error.code
    const extra = error.statusCode === 503 ? ['retry-after', '5'] : []
    this.#writeAnswer(res, error.statusCode, STATUS_CODES[error.statusCode] ?? 'Error', error.message, request, extra)
    this.#reportFailure(request.route, error)
  }

  #writeAnswer(
    res: FrontResponse,
    status: number,
    title: string,
    detail: string,
    request: RequestInfo,
    extra: string[],
  ): void {
    const page = renderErrorPage(status, title, detail, request.requestId, request.accept)
    const headers = [
      'content-type',
      page.contentType,
      'content-length',
      String(Buffer.byteLength(page.body)),
      'cache-control',
      'no-store',
      ...extra,
    ]
    this.#forward.rules.addProxyHeaders(headers, request.requestId, request.origin, request.method)
    res.writeHead(status, headers as unknown as Record<string, string>)
    if (request.method === 'HEAD') res.end()
    else res.end(page.body)
    this.#deps.observer?.requestEnded(request, status)
  }

  /** One warning when an upstream starts failing, not one per request. */
  #reportFailure(route: Route, error: ProxyError): void {
    if (error.statusCode < 500 || this.#failing[route]) return
    this.#failing[route] = true
    this.#deps.logger.warn(error.message)
    setTimeout(() => (this.#failing[route] = false), 10_000).unref()
  }
}

/** A request has a body when it declares a non-zero length or is chunked (HTTP/1.1) or its stream is open (HTTP/2). */
function hasBody(req: FrontRequest, inbound: InboundHeaders): boolean {
  if (inbound.contentLength !== undefined) return inbound.contentLength !== '0'
  if (inbound.transferEncoding !== undefined) return true
  return 'stream' in req && !req.stream.endAfterHeaders
}

function asProxyError(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error
  return new ProxyError('ERR_ORY_UNAVAILABLE', 'the session could not be checked', { cause: error })
}
