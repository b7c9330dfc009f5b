import http from 'node:http'
import type { Duplex } from 'node:stream'
import type { Timeouts } from '../config.js'
import type { RequestPipeline } from './pipeline.js'

/** How often Node checks request timeouts; its 30 s default would let a slowloris live 30 s. */
const CHECK_INTERVAL_MS = 250

/**
 * The HTTP/1.1 front: a `node:http` server with every timeout explicit and the strict parser
 * forced on (a stray `--insecure-http-parser` in NODE_OPTIONS must not reopen smuggling).
 */
export function createHttp1Front(pipeline: RequestPipeline, timeouts: Timeouts): http.Server {
  const server = http.createServer(
    {
      insecureHTTPParser: false,
      requireHostHeader: true,
      headersTimeout: timeouts.requestHeadersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, timeouts.requestHeadersMs),
      noDelay: true,
    },
    pipeline.handle,
  )
  server.on('connect', refuseConnect)
  server.on('upgrade', refuseUpgrade)
  return server
}

/** CONNECT would turn the proxy into an open tunnel (checklist b9). */
function refuseConnect(_req: http.IncomingMessage, socket: Duplex): void {
  socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
}

function refuseUpgrade(_req: http.IncomingMessage, socket: Duplex): void {
  socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
}
