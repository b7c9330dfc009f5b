import type { Http2ServerRequest, Http2Session, ServerHttp2Stream } from 'node:http2'

/** How long a PING may wait to go out: a live session sends it within a turn of the event loop. */
const SEND_GRACE_MS = 250

/**
 * How long a request body may pause before its session is probed; each further probe for the
 * same body waits twice as long, up to `MAX_BODY_SILENCE_MS`, so a live client pausing its upload
 * gets a few PINGs, not a stream of them.
 */
const BODY_SILENCE_MS = 250
const MAX_BODY_SILENCE_MS = 4_000

const kSilence = Symbol('ory-proxy.body-silence-ms')
type WatchedStream = ServerHttp2Stream & { [kSilence]?: number }

/**
 * Node 20 keeps an HTTP/2 server session that nghttp2 has ended on a connection error: nghttp2
 * sends GOAWAY (say FRAME_SIZE_ERROR for a DATA frame above SETTINGS_MAX_FRAME_SIZE, RFC 9113
 * §4.2), after which RFC 9113 §5.4.1 closes the connection; Node fires no event and stops reading
 * the socket, so even the client's close goes unseen. Its open streams, and the upstream requests
 * behind them, hang until the app gives up. Such a session sends nothing any more: this asks it
 * for a PING and destroys it (its streams close as on a client reset) when the PING is still
 * unsent `SEND_GRACE_MS` later and nothing was read meanwhile.
 */
export function probeSession(session: Http2Session): void {
  // A closed session queues no PING (Node answers it at once); shutdown's deadline cuts it.
  if (session.destroyed || session.closed) return
  const socket = session.socket
  const read = socket.bytesRead
  session.ping(ignore)
  setTimeout(() => {
    if (!session.destroyed && session.state.outboundQueueSize !== 0 && socket.bytesRead === read) session.destroy()
  }, SEND_GRACE_MS).unref()
}

/**
 * While `body` (an HTTP/2 request body) is still due, probes its session whenever the stream has
 * been silent for a while, so a client whose session died mid-body is found within about half a
 * second, not when the app gives up. Calling it again for the same body changes nothing.
 */
export function probeWhenBodyStalls(body: Http2ServerRequest): void {
  const stream = body.stream as WatchedStream
  if (body.readableEnded || stream[kSilence] !== undefined) return
  stream[kSilence] = BODY_SILENCE_MS
  stream.on('timeout', onStreamSilent)
  stream.setTimeout(BODY_SILENCE_MS)
  body.once('end', stopProbing)
}

function onStreamSilent(this: WatchedStream): void {
  if (this.session !== undefined) probeSession(this.session)
  // The session may die later in the same pause, with nothing more on this stream to rearm it.
  const next = Math.min(this[kSilence]! * 2, MAX_BODY_SILENCE_MS)
  this[kSilence] = next
  this.setTimeout(next)
}

function stopProbing(this: Http2ServerRequest): void {
  this.stream.setTimeout(0)
  this.stream.off('timeout', onStreamSilent)
}

function ignore(): void {}
