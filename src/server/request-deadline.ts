import type { Http2ServerRequest } from 'node:http2'

/**
 * Node enforces `requestTimeout` (the whole request must arrive within it) on HTTP/1.1 only. An
 * HTTP/2 stream whose body stalls would otherwise hold its upstream request open for good
 * (checklist b7): `expire` is called when `body` has not ended `ms` after this call, and never
 * once it has ended, its stream has closed or the returned `stop` was called. `expire` answers the
 * client; the stream is then reset with NO_ERROR, which tells the client to stop sending (RFC 9113
 * §8.1).
 */
export function watchBodyDeadline(body: Http2ServerRequest, ms: number, expire: () => void): () => void {
  if (body.readableEnded) return NOTHING_TO_STOP
  const stream = body.stream
  const timer = setTimeout(() => {
    expire()
    // close() without a code sends NO_ERROR.
    if (stream.writableFinished) stream.close()
    else stream.once('finish', () => stream.close())
  }, ms)
  const stop = () => clearTimeout(timer)
  body.once('end', stop)
  stream.once('close', stop)
  return stop
}

const NOTHING_TO_STOP = (): void => {}
