import net from 'node:net'

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
