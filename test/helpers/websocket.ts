import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { groupHeaders } from './upstream.js'

/** One WebSocket the app accepted, with the upgrade request it came with. */
export interface AppSocket {
  readonly socket: WebSocket
  readonly url: string
  /** Lower-cased header name → values, as the app received the upgrade request. */
  readonly headers: Readonly<Record<string, readonly string[]>>
}

export interface WebSocketApp {
  readonly url: string
  readonly server: http.Server
  /** Every WebSocket accepted, in order. */
  readonly sockets: AppSocket[]
  /** Paths of the plain HTTP requests (not upgrades) received, in order. */
  readonly paths: string[]
  /** Resolves with the next WebSocket the app accepts. */
  nextSocket(): Promise<AppSocket>
}

/**
 * A dev-server-like app on 127.0.0.1:0: WebSockets with the `vite-hmr` subprotocol get
 * `{"type":"connected"}` (as Vite's HMR server sends) and every other message echoed as `echo:<m>`;
 * a `vite-ping` socket is accepted and closed at once (Vite's "is the server back?" probe). Plain
 * requests get `page` from `page()`. Closed after the test.
 */
export async function startWebSocketApp(t: TestContext, page: (path: string) => string = () => 'page'): Promise<WebSocketApp> {
  const paths: string[] = []
  const server = http.createServer((req, res) => {
    paths.push(req.url!)
    res.setHeader('content-type', 'text/html; charset=utf-8')
    res.end(page(req.url!))
  })
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('vite-hmr') ? 'vite-hmr' : protocols.has('vite-ping') ? 'vite-ping' : false),
  })
  const sockets: AppSocket[] = []
  const waiting: Array<(socket: AppSocket) => void> = []
  wss.on('connection', (socket, req) => {
    const accepted: AppSocket = { socket, url: req.url!, headers: groupHeaders(req.rawHeaders) }
    sockets.push(accepted)
    socket.on('error', () => {})
    if (socket.protocol === 'vite-ping') {
      socket.close(1000)
    } else {
      if (socket.protocol === 'vite-hmr') socket.send(JSON.stringify({ type: 'connected' }))
      socket.on('message', (data) => socket.send(`echo:${data.toString()}`))
    }
    waiting.shift()?.(accepted)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    sockets,
    paths,
    nextSocket: () => new Promise((resolve) => waiting.push(resolve)),
  }
}

/** A `ws` client whose messages are queued from the moment it exists, so none is missed. */
export interface TestWebSocket {
  readonly socket: WebSocket
  /** The next message, as text. */
  next(): Promise<string>
  /** Resolves with the close code once the socket is closed. */
  readonly closed: Promise<number>
}

/** Opens a `ws` client and resolves once it is open (rejects on an unexpected HTTP answer). */
export function openWebSocket(
  t: TestContext,
  url: string,
  protocols: string | string[] = [],
  options: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<TestWebSocket> {
  const socket = new WebSocket(url, protocols, options)
  t.after(() => socket.terminate())
  const queued: string[] = []
  const waiting: Array<(message: string) => void> = []
  socket.on('message', (data) => {
    const text = data.toString()
    const waiter = waiting.shift()
    if (waiter) waiter(text)
    else queued.push(text)
  })
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        closed,
        next: () => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((r) => waiting.push(r))),
      }),
    )
    socket.once('error', reject)
    socket.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)))
  })
}

/** Resolves with the close code once `socket` is closed. */
export function closedSocket(socket: WebSocket): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve(-1)
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)))
}
