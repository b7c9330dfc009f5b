import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import type { buildConnector, Client as ClientType } from 'undici'

// undici's entry point (about 110 ms to load) only when a forward proxy is in use: it has the
// Client with `connect()` (HTTP CONNECT) and the TLS connector.
const require = createRequire(import.meta.url)

/**
 * A connector for undici pools whose upstream is reached through the forward proxy `proxy`: each
 * new connection is an HTTP CONNECT tunnel (credentials in the proxy URL become
 * `Proxy-Authorization: Basic`), with TLS to the upstream inside it for https. Our pools stay as
 * they are — raw header arrays, dispatch API — only their sockets come from the tunnel.
 */
export function tunnelConnector(proxy: URL, timeoutMs: number): buildConnector.connector {
  const undici = require('undici') as typeof import('undici')
  const client: ClientType = new undici.Client(proxy.origin, { connect: { timeout: timeoutMs }, headersTimeout: timeoutMs })
  const tls = undici.buildConnector({ timeout: timeoutMs })
  const authorization =
    proxy.username === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
  const label = `the proxy ${proxy.origin}`
  return (options, callback) => {
    const port = options.port || (options.protocol === 'https:' ? '443' : '80')
    const authority = `${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${port}`
    const headers: Record<string, string> = { host: authority }
    if (authorization !== undefined) headers['proxy-authorization'] = authorization
    client.connect({ path: authority, headers }).then(
      ({ socket, statusCode }) => {
        if (statusCode !== 200) {
          socket.destroy()
          return callback(new Error(`${label} answered CONNECT ${authority} with ${statusCode}`), null)
        }
        // A CONNECT tunnel is the proxy connection's own net.Socket.
        if (options.protocol !== 'https:') return callback(null, socket as Socket)
        tls({ ...options, httpSocket: socket as Socket }, callback)
      },
      (error: Error) => callback(new Error(`${label} could not be reached: ${error.message}`, { cause: error }), null),
    )
  }
}
