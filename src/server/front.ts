import type { Server as Http1PlainServer } from 'node:http'
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2'
import type { Server, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { Timeouts, TlsMaterial } from '../config.js'
import { drain } from '../http-server.js'
import { createServer, http2 } from '../node-builtins.js'
import type { FrontRequest, RequestPipeline } from './pipeline.js'
import type { FrontResponse } from './forward.js'
import { probeSession } from './dead-session.js'
import { PrefaceSniffer } from './preface.js'
import { HSTS_OFF } from './response-headers.js'
import { upgradeListener, type Tunnels } from './tunnel.js'

/** How often Node checks request timeouts; its 30 s default would let a slowloris live 30 s. */
const CHECK_INTERVAL_MS = 250

/**
 * How much of a response may wait in a client socket's buffer before `write` says stop (Node's
 * default: 16 KiB). An upstream read is up to 64 KiB, so with the default every large chunk paused
 * the upstream and waited for a drain; 256 KiB lets a few chunks queue while the kernel takes them.
 * Still bounded per connection: a slow client holds at most this plus one chunk.
 */
const CLIENT_HIGH_WATER_MARK = 256 * 1024

/**
 * HTTP/2 limits (checklist d5). Node's default of 2^32-1 concurrent streams is what Rapid Reset
 * style floods feed on; 100 is what browsers and nginx use. The rest are Node's defaults, explicit.
 */
const H2_OPTIONS = {
  maxSessionMemory: 10,
  maxHeaderListPairs: 128,
  settings: {
    maxConcurrentStreams: 100,
    maxHeaderListSize: 64 * 1024,
    // RFC 8441: WebSockets over HTTP/2 (extended CONNECT), so a browser on h2 needs no second connection.
    enableConnectProtocol: true,
  },
} as const

/** A listening socket serving HTTP/1.1 and HTTP/2 into one pipeline. */
export interface Front {
  /** The server that listens: plain (HTTP/1.1 and h2c, told apart by the preface) or TLS (h2 and HTTP/1.1 by ALPN). */
  readonly server: Server
  /**
   * Stops accepting, closes tunnels, sends GOAWAY to HTTP/2 sessions, closes idle HTTP/1.1
   * connections and those on which no request has begun, lets in-flight requests finish for up
   * to `deadlineMs`, then cuts what is left.
   */
  close(deadlineMs: number): Promise<void>
  /** Client connections open now (HTTP/1.1 and HTTP/2, before and after the preface). */
  readonly connections: number
  /** Client connections open now that speak HTTP/2; the rest are HTTP/1.1 (or not yet decided). */
  readonly h2Connections: number
  /**
   * Asks `count` client connections to reconnect: HTTP/2 sessions get GOAWAY (their open streams
   * finish), and the next HTTP/1.1 responses carry `Connection: close`. Nothing in flight is cut.
   */
  shedConnections(count: number): void
}

type Http1Server = Http1PlainServer | Http2SecureServer

/**
 * Builds the front for `tls` (undefined: plain). Both shapes feed `pipeline.handle` for every
 * request, HTTP/1.1 upgrades (WebSockets) included, and HTTP/2 extended CONNECT.
 */
export function createFront(
  pipeline: RequestPipeline,
  tunnels: Tunnels,
  timeouts: Timeouts,
  tls: TlsMaterial | undefined,
): Front {
  let server: Http1Server
  const sockets = new Set<Socket>()
  const sessions = new Set<ServerHttp2Session>()
  let closing = false
  /** Feeds an HTTP/2 server's sessions and (unless it is also the HTTP/1.1 server) its requests into the pipeline. */
  const serveH2 = <S extends Http2Server | Http2SecureServer>(h2: S): S => {
    if (h2 !== server) {
      h2.on('request', pipeline.handle)
      h2.on('connect', pipeline.handle)
    }
    h2.on('session', (session: ServerHttp2Session) => {
      sessions.add(session)
      session.once('close', () => sessions.delete(session))
      // An idle session gets GOAWAY, as an idle HTTP/1.1 connection is closed; open streams finish,
      // unless the session is one Node left dead (probed first: a closed session cannot be).
      session.setTimeout(timeouts.keepAliveMs, () => {
        probeSession(session)
        session.close()
      })
      if (closing) session.close()
    })
    return h2
  }
  let closeSilent: () => void
  if (tls !== undefined) {
    const secure = http2().createSecureServer({
      ...H2_OPTIONS,
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      minVersion: 'TLSv1.2',
      // A client that never finishes its handshake is as stalled as one that never finishes a head.
      handshakeTimeout: timeouts.requestHeadersMs,
    })
    server = secure
    serveH2(secure)
    closeSilent = silentTlsCloser(secure, sockets)
  } else {
    const plain = createServer({ highWaterMark: CLIENT_HIGH_WATER_MARK })
    server = plain
    // The h2c server (and node:http2) is made at the first connection that opens with the HTTP/2
    // preface: most starts never see one, and loading node:http2 costs 5-10 ms of a start.
    let h2c: Http2Server | undefined
    const sniffer = routeByPreface(plain, () => (h2c ??= serveH2(http2().createServer(H2_OPTIONS))), timeouts.requestHeadersMs)
    closeSilent = () => sniffer.closeUndecided()
  }
  applyHttp1Limits(server, timeouts)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // HTTP/1.1 responses still to close their connection (shedConnections); 0 almost always.
  let closeAfter = 0
  server.on('request', (req: FrontRequest, res: FrontResponse) => {
    if (closeAfter > 0 && !('stream' in res)) {
      closeAfter--
      res.shouldKeepAlive = false
    }
    pipeline.handle(req, res)
  })
  server.on('upgrade', upgradeListener(pipeline.handle))
  server.on('connect', (req: FrontRequest, second: Duplex | FrontResponse) => {
    // The TLS server reports HTTP/1.1 CONNECT and HTTP/2 CONNECT streams under the same name.
    if ('stream' in req) pipeline.handle(req, second as FrontResponse)
    else refuseConnect(second as Duplex)
  })

  return {
    server,
    get connections() {
      return sockets.size
    },
    get h2Connections() {
      return sessions.size
    },
    shedConnections: (count) => {
      let left = count
      for (const session of sessions) {
        if (left === 0) break
        if (session.closed) continue
        session.close()
        left--
      }
      closeAfter = left
    },
    close: (deadlineMs) => {
      closing = true
      tunnels.closeAll()
      for (const session of sessions) session.close()
      closeSilent()
      // Node's TLS HTTP/2 server has the HTTP/1.1 close methods drain() uses for its fallback
      // connections (its types lack them); the deadline cuts every socket, HTTP/2 ones included.
      return drain(server as Http1PlainServer, deadlineMs, () => {
        // HTTP/2 sessions through their own API first: a socket destroyed under a live session
        // is what several Node crashes share (nodejs/node#48567, #49307).
        for (const session of sessions) session.destroy()
        for (const socket of sockets) socket.destroy()
      })
    },
  }
}

/**
 * One plain port, two protocols: the listening HTTP/1.1 server keeps every connection (so its
 * header and request timeouts keep watching them; a socket handed to a server that never
 * listened escapes those checks), and passes on the ones that open with the HTTP/2 preface.
 * `h2c` gives the HTTP/2 server (made at first use). Returns the sniffer, which holds the
 * connections not yet decided.
 */
function routeByPreface(plain: Http1PlainServer, h2c: () => Http2Server, timeoutMs: number): PrefaceSniffer {
  const http1 = plain.listeners('connection')[0] as (socket: Socket) => void
  plain.removeListener('connection', http1)
  const sniffer = new PrefaceSniffer(timeoutMs, (decided, isH2) => {
    if (isH2) {
      h2c().emit('connection', decided)
    } else {
      http1.call(plain, decided)
      decided.resume()
    }
  })
  plain.on('connection', (socket: Socket) => sniffer.sniff(socket))
  return sniffer
}

/**
 * Returns what closes the TLS connections on which no request has begun: silent since they
 * connected (no handshake byte), or speaking HTTP/1.1 and silent since the handshake. Node's
 * HTTP/1.1 server counts a fresh connection as busy until its header timeout, so a shutdown
 * would wait for it. HTTP/2 connections are sessions, which GOAWAY closes.
 */
function silentTlsCloser(server: Http2SecureServer, sockets: ReadonlySet<Socket>): () => void {
  const http1 = new Set<TLSSocket>()
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return
    http1.add(socket)
    socket.once('close', () => http1.delete(socket))
  })
  return () => {
    // A TCP socket's bytesRead counts handshake bytes; a TLS socket's only the decrypted ones.
    for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy()
    for (const socket of http1) if (socket.bytesRead === 0) socket.destroy()
  }
}

/**
 * Node's HTTP/1.1 settings, as the properties its connection handler reads: set on `http.Server`
 * and equally on the TLS server's HTTP/1.1 fallback, whose defaults would otherwise allow 60 s
 * heads, no keep-alive limit, no Host and a lenient parser. The strict parser is forced on so a
 * stray `--insecure-http-parser` in NODE_OPTIONS cannot reopen smuggling.
 */
function applyHttp1Limits(server: Http1Server, timeouts: Timeouts): void {
  Object.assign(server, {
    insecureHTTPParser: false,
    requireHostHeader: true,
    headersTimeout: timeouts.requestHeadersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, timeouts.requestHeadersMs),
  })
}

/** CONNECT would turn the proxy into an open tunnel (checklist b9). */
function refuseConnect(socket: Duplex): void {
  socket.end(`HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nStrict-Transport-Security: ${HSTS_OFF}\r\nContent-Length: 0\r\n\r\n`)
}
