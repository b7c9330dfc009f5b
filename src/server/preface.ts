import type { Socket } from 'node:net'

/** The HTTP/2 client connection preface (RFC 9113 §3.4): what an h2c prior-knowledge client sends first. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/**
 * Reads fresh plain-TCP connections' first bytes and tells `decide` whether they are the HTTP/2
 * preface, handing each socket back paused with every byte read put back (`unshift`), so the
 * server it goes to parses the connection from its start. One mismatching byte is enough to say
 * HTTP/1.1. A connection that is still undecided after `timeoutMs` (silent, or a trickled preface)
 * is closed, and so is one the client ends first: it can no longer send a request.
 */
export class PrefaceSniffer {
  readonly #timeoutMs: number
  readonly #decide: (socket: Socket, h2: boolean) => void
  /** Connections with no protocol decided yet: no request has begun on them. */
  readonly #undecided = new Set<Socket>()

  constructor(timeoutMs: number, decide: (socket: Socket, h2: boolean) => void) {
    this.#timeoutMs = timeoutMs
    this.#decide = decide
  }

  /** Watches a connection just accepted until its protocol is decided, it closes or it times out. */
  sniff(socket: Socket): void {
    let seen: Buffer | undefined
    const timer = setTimeout(() => socket.destroy(), this.#timeoutMs)
    const onData = (chunk: Buffer) => {
      seen = seen === undefined ? chunk : Buffer.concat([seen, chunk])
      const compared = Math.min(seen.length, PREFACE.length)
      const h2 = seen.compare(PREFACE, 0, compared, 0, compared) === 0
      if (h2 && compared < PREFACE.length) return
      stop()
      socket.pause()
      socket.unshift(seen)
      this.#decide(socket, h2)
    }
    // The HTTP/1.1 server allows half-open sockets: without this, a probe that connects and
    // closes at once would wait here for the timeout, and hold a shutdown for as long.
    const onEnd = () => {
      stop()
      socket.destroy()
    }
    const stop = () => {
      clearTimeout(timer)
      this.#undecided.delete(socket)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', stop)
      socket.off('close', stop)
    }
    this.#undecided.add(socket)
    socket.on('data', onData)
    socket.on('end', onEnd)
    // A reset before the first byte is nobody's error to report.
    socket.on('error', stop)
    socket.on('close', stop)
  }

  /** Closes every connection still undecided (shutdown: nothing on them is in flight). */
  closeUndecided(): void {
    for (const socket of this.#undecided) socket.destroy()
  }
}
