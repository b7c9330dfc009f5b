import http2 from 'node:http2'
import type { TestContext } from 'node:test'

export interface H2Response {
  readonly status: number
  readonly headers: http2.IncomingHttpHeaders
  readonly body: Buffer
  readonly trailers: http2.IncomingHttpHeaders | undefined
}

/**
 * An HTTP/2 client session to `url` (h2c prior knowledge for http:, TLS with ALPN h2 for https:),
 * closed after the test. `ca` is the certificate to trust for https.
 */
export async function h2Connect(t: TestContext, url: string, ca?: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, ca === undefined ? {} : { ca, servername: 'localhost' })
  t.after(() => {
    if (!session.destroyed) session.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve())
    session.once('error', reject)
  })
  session.on('error', () => {})
  return session
}

/** One request on `session`; resolves with the whole response once the stream ends. */
export function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    const chunks: Buffer[] = []
    let head: http2.IncomingHttpHeaders = {}
    let trailers: http2.IncomingHttpHeaders | undefined
    stream.on('response', (received) => (head = received))
    stream.on('trailers', (received) => (trailers = received))
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () =>
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks), trailers }),
    )
    stream.on('error', reject)
    if (body !== undefined) stream.end(body)
  })
}
