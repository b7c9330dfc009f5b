import http from 'node:http'
import net from 'node:net'
import type { TestContext } from 'node:test'
import { serveOnLoopback } from './upstream.js'

export interface ForwardProxy {
  readonly url: string
  /** Every CONNECT target asked for, in order (`host:port`). */
  readonly connects: string[]
  /** `Proxy-Authorization` of each CONNECT (undefined when absent). */
  readonly authorizations: Array<string | undefined>
}

/**
 * A CONNECT-only forward proxy on 127.0.0.1, like a corporate egress proxy: it resolves names
 * itself, here from `hosts` (`name` → a port on 127.0.0.1), so the names need no DNS. A target not
 * in `hosts` gets 502; with `requireAuthorization` a CONNECT without that exact header gets 407.
 */
export async function startForwardProxy(
  t: TestContext,
  hosts: Record<string, number>,
  requireAuthorization?: string,
): Promise<ForwardProxy> {
  const connects: string[] = []
  const authorizations: Array<string | undefined> = []
  const tunnels = new Set<net.Socket>()
  const server = http.createServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    connects.push(req.url!)
    authorizations.push(req.headers['proxy-authorization'])
    client.on('error', () => {})
    if (requireAuthorization !== undefined && req.headers['proxy-authorization'] !== requireAuthorization) {
      return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
    }
    const colon = req.url!.lastIndexOf(':')
    const port = hosts[req.url!.slice(0, colon)]
    if (port === undefined) return void client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    for (const socket of [client, upstream]) {
      tunnels.add(socket)
      socket.once('close', () => tunnels.delete(socket))
    }
  })
  t.after(() => {
    for (const socket of tunnels) socket.destroy()
  })
  const { url } = await serveOnLoopback(t, server)
  return { url, connects, authorizations }
}
