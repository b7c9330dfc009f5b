import type { Socket } from 'node:net'

/** The HTTP/2 client connection preface (RFC 9113 §3.4): what an h2c prior-knowledge client sends first. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/**
 * Reads a fresh plain-TCP connection's first bytes and tells `decide` whether they are the HTTP/2
 * preface, handing the socket back paused with every byte read put back (`unshift`), so the server
 * it goes to parses the connection from its start. One mismatching byte is enough to say HTTP/1.1;
 * a connection that is still undecided after `timeoutMs` (silent, or a trickled preface) is closed.
 */
export function sniffPreface(socket: Socket, timeoutMs: number, decide: (socket: Socket, h2: boolean) => void): void {
  let seen: Buffer | undefined
  const timer = setTimeout(() => socket.destroy(), timeoutMs)
  const onData = (chunk: Buffer) => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk])
    const compared = Math.min(seen.length, PREFACE.length)
    const h2 = seen.compare(PREFACE, 0, compared, 0, compared) === 0
    if (h2 && compared < PREFACE.length) return
    stop()
    socket.pause()
    socket.unshift(seen)
    decide(socket, h2)
  }
  const stop = () => {
    clearTimeout(timer)
    socket.off('data', onData)
    socket.off('error', stop)
    socket.off('close', stop)
  }
  socket.on('data', onData)
  // A reset before the first byte is nobody's error to report.
  socket.on('error', stop)
  socket.on('close', stop)
}
