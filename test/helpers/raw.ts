import net from 'node:net'
import type { TestContext } from 'node:test'
import tls from 'node:tls'

export interface RawResult {
  /** Everything the server sent, latin1-decoded. */
  readonly text: string
  /** Status codes of every response seen on the socket. */
  readonly statuses: number[]
  /** True when the server closed the connection before the wait ended. */
  readonly closed: boolean
}

/** How long a loaded machine may take to send the first byte of an answer. */
const FIRST_BYTE_MS = 5_000

/**
 * Writes bytes on a fresh TCP connection and collects the answer until the server closes, or
 * until `waitMs` pass without a byte once it started answering (up to 5 s for the first byte), so
 * a slow machine is not mistaken for a missing answer (checklist appendix A). For requests Node's
 * client would refuse to send.
 */
export function raw(port: number, bytes: string | Buffer, waitMs = 500): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let timer = setTimeout(() => socket.destroy(), Math.max(waitMs, FIRST_BYTE_MS))
    socket.on('data', (data) => {
      text += data.toString('latin1')
      clearTimeout(timer)
      timer = setTimeout(() => socket.destroy(), waitMs)
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ text, closed: socket.readableEnded, statuses: statusesOf(text) })
    })
    socket.write(bytes)
  })
}

export function statusesOf(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]))
}

/** TLS for {@link openConnection}: the certificate to trust (for `localhost`) and the one ALPN protocol offered. */
export interface ClientTls {
  readonly ca: string
  readonly alpn: string
}

/**
 * A connection to 127.0.0.1:`port` that its client leaves open (destroyed after the test),
 * resolved once connected (with `tls`, once the handshake is done) and `bytes` are written: a
 * silent preconnect, or one stopped partway through what it sends. It reads what it is sent, as
 * a real client does, so it sees the server closing.
 */
export async function openConnection(t: TestContext, port: number, bytes?: string, secure?: ClientTls): Promise<net.Socket> {
  const socket =
    secure === undefined
      ? net.connect(port, '127.0.0.1')
      : tls.connect({ port, host: '127.0.0.1', ca: secure.ca, servername: 'localhost', ALPNProtocols: [secure.alpn] })
  t.after(() => socket.destroy())
  socket.on('data', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once(secure === undefined ? 'connect' : 'secureConnect', () => resolve())
    socket.once('error', reject)
  })
  socket.on('error', () => {})
  if (bytes !== undefined) socket.write(bytes)
  return socket
}

/** A port probe (a health check, `nc -z`): connects to 127.0.0.1:`port` and closes without sending a byte. */
export function probePort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.destroy())
    socket.once('error', reject)
    socket.once('close', () => resolve())
  })
}
