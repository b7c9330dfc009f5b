import net from 'node:net'
import type { TestContext } from 'node:test'

export interface RawUpstream {
  readonly url: string
  /** Connections accepted so far. */
  connections(): number
}

/**
 * A TCP "app" that answers each request with whatever `answer` writes on the raw socket, for
 * responses Node's http server would refuse to produce. Closed after the test.
 */
export async function startRawUpstream(
  t: TestContext,
  answer: (socket: net.Socket, request: string, index: number) => void,
): Promise<RawUpstream> {
  let connections = 0
  let requests = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = ''
    socket.on('data', (data) => {
      buffered += data.toString('latin1')
      let end = buffered.indexOf('\r\n\r\n')
      while (end !== -1) {
        const head = buffered.slice(0, end)
        buffered = buffered.slice(end + 4)
        answer(socket, head, requests++)
        end = buffered.indexOf('\r\n\r\n')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections }
}
