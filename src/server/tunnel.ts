import type { IncomingMessage } from 'node:http'
import type { Http2ServerResponse, ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { crypto, ServerResponse } from '../node-builtins.js'

/**
 * The response side of an HTTP/1.1 upgrade request. Node hands an upgrade over as a bare socket;
 * wrapping it in a `ServerResponse` lets the one request pipeline answer it like any request (a
 * refusal, the app's non-101 answer, an error page) until the app switches protocols.
 */
export class UpgradeResponse extends ServerResponse {
  /** Bytes the client sent after the request head (already the new protocol's). */
  readonly head: Buffer
  readonly client: Socket

  constructor(req: IncomingMessage, socket: Socket, head: Buffer) {
    super(req)
    this.head = head
    this.client = socket
    this.shouldKeepAlive = false
    // Node's server no longer watches this socket: a reset must not become an uncaught error.
    socket.on('error', destroySelf)
    this.assignSocket(socket)
    // Nobody else ends the connection after a non-upgraded answer.
    this.once('finish', endClient)
  }
}

function destroySelf(this: Duplex): void {
  this.destroy()
}

function endClient(this: UpgradeResponse): void {
  this.client.end()
}

/** The `upgrade` listener of an HTTP/1.1 server: every upgrade request goes through `handle`. */
export function upgradeListener(
  handle: (req: IncomingMessage, res: UpgradeResponse) => void,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => handle(req, new UpgradeResponse(req, socket as Socket, head))
}

/**
 * RFC 8441 §5: an HTTP/2 WebSocket has no `Sec-WebSocket-Key`; the HTTP/1.1 handshake the proxy
 * makes with the app needs one (RFC 6455 §4.1: 16 random bytes, base64).
 */
export function websocketKey(): string {
  return crypto().randomBytes(16).toString('base64')
}

/** Either end of a tunnel: a TCP socket (HTTP/1.1) or an HTTP/2 stream (extended CONNECT). */
type TunnelEnd = Socket | ServerHttp2Stream

/**
 * The WebSocket tunnels that are open: each one joins a client to the app's upgraded socket and
 * is closed as a whole when either side closes, fails or stays silent for `idleMs`.
 */
export class Tunnels {
  readonly #idleMs: number
  readonly #open = new Set<TunnelEnd>()

  constructor(idleMs: number) {
    this.#idleMs = idleMs
  }

  /** Tunnels open now. */
  get size(): number {
    return this.#open.size
  }

  /**
   * The app switched protocols: answer the client (101 on HTTP/1.1, 200 on an HTTP/2 extended
   * CONNECT, RFC 8441 §5) with the app's cleaned response headers, then join the two.
   */
  accept(res: UpgradeResponse | Http2ServerResponse, headers: readonly string[], upstream: Duplex): void {
    if (res instanceof UpgradeResponse) {
      const client = res.client
      res.detachSocket(client)
      res.off('finish', endClient)
      let head = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
      for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
      client.write(`${head}\r\n`, 'latin1')
      if (res.head.length > 0) upstream.write(res.head)
      this.#join(client, upstream)
      return
    }
    const answer: string[] = []
    for (let i = 0; i < headers.length; i += 2) {
      // The accept value proves the HTTP/1.1 handshake the proxy made; HTTP/2 clients have none to check.
      if (headers[i]!.toLowerCase() !== 'sec-websocket-accept') answer.push(headers[i]!, headers[i + 1]!)
    }
    res.writeHead(200, answer as unknown as Record<string, string>)
    this.#join(res.stream, upstream)
  }

  /** Ends every tunnel now (shutdown: a WebSocket is never "in flight" and would hold it open). */
  closeAll(): void {
    for (const client of this.#open) client.destroy()
  }

  #join(client: TunnelEnd, upstream: Duplex): void {
    this.#open.add(client)
    const closeBoth = () => {
      client.destroy()
      upstream.destroy()
    }
    // A side that ends cleanly (FIN, END_STREAM) is passed on by pipe(); a side that closes without
    // ending was reset or destroyed, so the other goes at once (checklist a10).
    client.on('close', () => {
      this.#open.delete(client)
      if (!client.readableEnded) upstream.destroy()
    })
    upstream.on('close', () => {
      if (!upstream.readableEnded) client.destroy()
    })
    client.on('error', closeBoth)
    upstream.on('error', closeBoth)
    // Bytes in either direction pass through the client end, so its timer sees both.
    client.setTimeout(this.#idleMs, closeBoth)
    upstream.pipe(client)
    client.pipe(upstream)
  }
}
