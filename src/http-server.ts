import type { Server } from 'node:http'
import type { Server as NetServer } from 'node:net'
import { ProxyError } from './errors.js'

/**
 * Binds a server, turning bind failures into an `ERR_LISTEN` error that names the port, the flag
 * that chose it (`--port` unless told) and what to do (the CLI prints it on one line and exits
 * with 2).
 */
export function listen(server: NetServer, port: number, host: string | undefined, flag = '--port'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = flag === '--port' ? `port ${port}` : `${flag} port ${port}`
      const reason =
        error.code === 'EADDRINUSE'
          ? `${where} is already in use; stop what runs there or pass another ${flag}`
          : error.code === 'EACCES'
            ? `no permission to listen on ${where}; use a port above 1023`
            : `cannot listen on ${where}: ${error.message}`
      reject(new ProxyError('ERR_LISTEN', reason, { cause: error }))
    }
    server.once('error', onError)
    server.listen({ port, host }, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/**
 * Stops accepting and resolves once every connection is gone: idle keep-alive sockets close at
 * once, busy ones as their responses finish, and whatever is left after `deadlineMs` is cut
 * (by `cut`; by default the server's HTTP/1.1 connections).
 */
export async function drain(server: Server, deadlineMs: number, cut = () => server.closeAllConnections()): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // Idle keep-alive sockets would hold close() open; busy ones become idle as responses finish.
  server.closeIdleConnections()
  const sweep = setInterval(() => server.closeIdleConnections(), 50)
  const deadline = setTimeout(cut, deadlineMs)
  await closed
  clearInterval(sweep)
  clearTimeout(deadline)
}
