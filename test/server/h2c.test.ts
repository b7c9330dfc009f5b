import assert from 'node:assert/strict'
import { once } from 'node:events'
import http2 from 'node:http2'
import { test } from 'node:test'
import { request } from 'undici'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startTestProxy } from '../helpers/proxy.js'
import { openConnection, raw } from '../helpers/raw.js'
import { openFds, until } from '../helpers/until.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSessionGate } from '../helpers/session-gate.js'
import { answerRaw, heldResponder, startBodyWatchingApp, startUpstream } from '../helpers/upstream.js'

test('h2c (prior knowledge) and HTTP/1.1 share the plain port', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const h2 = await h2Request(session, { ':path': '/over-h2', ':authority': 'localhost:4000' })
  assert.equal(h2.status, 200)
  assert.equal(JSON.parse(h2.body.toString()).url, '/over-h2')
  const h1 = await request(`${proxy.url}/over-h1`)
  assert.equal(h1.statusCode, 200)
  assert.equal(((await h1.body.json()) as { url: string }).url, '/over-h1')
  assert.deepEqual(
    app.requests.map((seen) => seen.url),
    ['/over-h2', '/over-h1'],
  )
})

test('h2 → HTTP/1.1 mapping: one Host from :authority, no pseudo-headers, cookie crumbs joined', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { publishUrl: 'http://localhost:4000' })
  const session = await h2Connect(t, proxy.url)
  const res = await h2Request(
    session,
    { ':method': 'POST', ':path': '/form?x=1', ':authority': 'localhost:4000', cookie: ['a=1', 'b=2'], 'x-kept': 'yes' },
    'hello',
  )
  assert.equal(res.status, 200)
  const seen = app.requests[0]!
  assert.equal(seen.method, 'POST')
  assert.equal(seen.url, '/form?x=1')
  assert.deepEqual(seen.headers.host, ['localhost:4000'])
  assert.deepEqual(seen.headers.cookie, ['a=1; b=2'])
  assert.deepEqual(seen.headers['x-kept'], ['yes'])
  assert.deepEqual(seen.headers['x-forwarded-host'], ['localhost:4000'])
  assert.deepEqual(seen.headers['x-forwarded-proto'], ['http'])
  assert.equal(seen.body.toString(), 'hello')
  const names = seen.rawHeaders.filter((_, i) => i % 2 === 0)
  assert.ok(!names.some((name) => name.startsWith(':')), `no pseudo-headers upstream: ${names.join(', ')}`)
})

test('the whole pipeline runs for h2: JWT from the session gate, client Authorization replaced, Ory rewrites', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t, (_req, res) => {
    res.writeHead(303, [
      'location',
      `http://127.0.0.1:${ory.port}/self-service/login/browser?flow=1`,
      'set-cookie',
      'csrf=1; Path=/; HttpOnly',
      'set-cookie',
      'ory_session_test=alice; Path=/; HttpOnly',
    ])
    res.end()
  })
  const { gate, ory: sessions, subjectOf } = await startSessionGate(t)
  sessions.addCookieSession('ory_session_test', 'alice-cookie', 'alice')
  const proxy = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' }, { gate })
  const session = await h2Connect(t, proxy.url)

  const toApp = await h2Request(session, {
    ':path': '/dashboard',
    ':authority': 'localhost:4000',
    cookie: ['theme=dark', 'ory_session_test=alice-cookie'],
    authorization: 'Bearer forged',
  })
  assert.equal(toApp.status, 200)
  assert.equal(await subjectOf(app.requests[0]!.headers.authorization), 'alice')
  assert.deepEqual(sessions.whoamiCalls[0]!.headers.cookie, ['ory_session_test=alice-cookie'])

  const toOry = await h2Request(session, { ':path': '/.ory/self-service/login/browser', ':authority': 'localhost:4000' })
  assert.equal(toOry.status, 303)
  assert.equal(toOry.headers.location, 'http://localhost:4000/.ory/self-service/login/browser?flow=1')
  assert.deepEqual(toOry.headers['set-cookie'], ['csrf=1; Path=/; HttpOnly; SameSite=Lax', 'ory_session_test=alice; Path=/; HttpOnly; SameSite=Lax'])
  assert.equal(toOry.headers['strict-transport-security'], 'max-age=0;')
  assert.equal(ory.requests[0]!.url, '/self-service/login/browser')
})

test('h2: a host header that disagrees with :authority is refused with 400 and reaches nobody', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const res = await h2Request(session, { ':path': '/', ':authority': 'localhost:4000', host: 'evil.example' })
  assert.equal(res.status, 400)
  assert.match(res.body.toString(), /disagrees with :authority/)
  assert.equal(app.requests.length, 0)
})

test('h2: connection-specific response headers from the app never reach the HTTP/2 client', async (t) => {
  const app = await startUpstream(t)
  answerRaw(
    app,
    'HTTP/1.1 200 OK\r\nConnection: X-Secret, close\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTE: gzip\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n' +
      'X-Public: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  )
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const res = await h2Request(session, { ':path': '/', ':authority': 'localhost:4000' })
  assert.equal(res.status, 200)
  assert.equal(res.body.toString(), 'hello')
  for (const name of ['connection', 'x-secret', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'http2-settings', 'transfer-encoding']) {
    assert.equal(res.headers[name], undefined, `${name} must not reach the client`)
  }
  assert.equal(res.headers['x-public'], '2')
  // Both lines arrive (ory proxy adds SameSite=Lax on a plain-http publish-url).
  assert.deepEqual(res.headers['set-cookie'], ['a=1; SameSite=Lax', 'b=2; SameSite=Lax'])
})

test('h2: a body shorter than its content-length aborts the app’s request, never completes it', async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({ ':method': 'POST', ':path': '/upload', ':authority': 'localhost', 'content-length': '10' })
  const reset = new Promise<void>((resolve) => stream.on('close', () => resolve()))
  stream.on('error', () => {})
  stream.write('abc')
  await app.arrived
  stream.end()
  await app.aborted
  await reset
  assert.equal(stream.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR)
})

test('h2: a response body the app cuts short resets the stream with INTERNAL_ERROR, never ends it cleanly (checklist c3)', async (t) => {
  const app = await startRawUpstream(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')
    setTimeout(() => socket.resetAndDestroy(), 50)
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({ ':path': '/', ':authority': 'localhost' })
  const chunks: Buffer[] = []
  let ended = false
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  stream.on('end', () => (ended = true))
  const closed = new Promise<void>((resolve) => stream.on('close', () => resolve()))
  let status: unknown
  stream.on('response', (head) => (status = head[':status']))
  stream.on('error', () => {})
  await closed
  assert.equal(status, 200)
  assert.equal(Buffer.concat(chunks).toString(), 'abc')
  assert.equal(stream.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR)
  assert.equal(ended, false, 'a cut body never ends like a whole one')
})

test('h2: a stream the client resets mid-body aborts the app’s request; the session goes on', async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  // No content-length: the body is relayed chunked, so only an abort can tell the app it was cut.
  const stream = session.request({ ':method': 'POST', ':path': '/upload', ':authority': 'localhost' })
  stream.on('error', () => {})
  stream.write('abc')
  await app.arrived
  // destroy(), not close(): close() ends the body cleanly (END_STREAM) before its RST_STREAM.
  stream.destroy(new Error('client gave up'))
  await app.aborted
  // The session survives the reset stream (the proxy answers this one itself).
  const after = await h2Request(session, { ':path': '/', ':authority': 'localhost', host: 'elsewhere' })
  assert.equal(after.status, 400)
})

test('h2 settings bound the session: 100 concurrent streams, extended CONNECT on', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = http2.connect(proxy.url)
  t.after(() => session.destroy())
  const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve))
  assert.equal(settings.maxConcurrentStreams, 100)
  assert.equal(settings.maxHeaderListSize, 64 * 1024)
  assert.equal(settings.enableConnectProtocol, true)
})

test('a stalled client on the shared port is cut: partial head, silence, or a partial preface (1 s timeout)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { requestHeadersMs: 1000 } })
  const [partialHead, silent, partialPreface] = await Promise.all([
    raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 2000),
    raw(proxy.port, '', 2000),
    raw(proxy.port, 'PRI * HTTP/2.0\r\n', 2000),
  ])
  assert.equal(partialHead.closed, true, 'partial head closed within 2 s')
  assert.deepEqual(partialHead.statuses, [408])
  assert.equal(silent.closed, true, 'silent connection closed within 2 s')
  assert.equal(partialPreface.closed, true, 'partial preface closed within 2 s')
  assert.equal(app.requests.length, 0)
})

test('a connection its client ends before the first byte is closed at once, not at the 5 s preface timeout', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const socket = await openConnection(t, proxy.port)
  const started = performance.now()
  socket.end()
  await once(socket, 'close')
  const took = Math.round(performance.now() - started)
  assert.ok(took < 1000, `closed ${took} ms after the client's FIN`)
})

test('shutdown sends GOAWAY: an in-flight h2 stream finishes, then the session closes', async (t) => {
  const held = heldResponder()
  const app = await startUpstream(t, held.responder)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()))
  const inFlight = h2Request(session, { ':path': '/slow', ':authority': 'localhost' })
  await held.arrived
  const closed = proxy.close()
  await goaway
  held.release()
  const res = await inFlight
  assert.equal(res.status, 200)
  assert.equal(res.body.toString(), 'finished')
  await closed
})

test('1000 h2 streams opened and reset at once (Rapid Reset) leave the proxy responsive and its descriptors flat', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const warm = await h2Connect(t, proxy.url)
  assert.equal((await h2Request(warm, { ':path': '/warm', ':authority': 'localhost' })).status, 200)
  const baseline = openFds()
  for (let round = 0; round < 10; round++) {
    const session = await h2Connect(t, proxy.url)
    const closed = Array.from({ length: 100 }, () => {
      const stream = session.request({ ':path': '/reset', ':authority': 'localhost' })
      stream.on('error', () => {})
      stream.close(http2.constants.NGHTTP2_CANCEL)
      return new Promise((resolve) => stream.on('close', resolve))
    })
    await Promise.all(closed)
    session.destroy()
  }
  // Streams reset before the proxy dispatched them never reach the app.
  assert.ok(app.requests.length <= 1001, `${app.requests.length} requests reached the app`)
  const answers = await Promise.all(Array.from({ length: 20 }, () => h2Request(warm, { ':path': '/after', ':authority': 'localhost' })))
  assert.deepEqual(
    answers.map((answer) => answer.status),
    Array(20).fill(200),
  )
  // Upstream connections opened for the burst idle out of the pool after its 4 s keep-alive.
  await until(() => openFds() <= baseline + 2, `file descriptors back to ${baseline} ± 2 (now ${openFds()})`, 10_000)
})

/**
 * Opens a stream on `session` that announces a 100-byte body, sends 3 bytes and stalls; resolves
 * with the status the proxy answered (0: none) and when the stream closed.
 */
function stallBody(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<{ status: number; ms: number }> {
  const started = Date.now()
  // endStream: Node's client would end a DELETE's stream with its headers.
  const stream = session.request({ ':authority': 'localhost', 'content-length': '100', ...headers }, { endStream: false })
  let status = 0
  stream.on('error', () => {})
  stream.on('response', (head) => (status = Number(head[':status'])))
  stream.resume()
  stream.write('abc')
  return new Promise((resolve) => stream.on('close', () => resolve({ status, ms: Date.now() - started })))
}

// Without a deadline the streams stay open for good: the tests' own timeouts are the failure.
test('h2: a request body that stalls is answered 408 after the request timeout and the app’s request aborted (as HTTP/1.1, checklist b7)', { timeout: 10_000 }, async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { requestMs: 1000 } })
  const session = await h2Connect(t, proxy.url)
  const stalled = stallBody(session, { ':method': 'POST', ':path': '/upload' })
  await app.arrived
  await app.aborted
  const { status, ms } = await stalled
  assert.ok(ms >= 900 && ms < 3000, `stream closed after ${ms} ms`)
  assert.equal(status, 408)
  // The session goes on (the proxy answers this one itself).
  const after = await h2Request(session, { ':path': '/', ':authority': 'localhost', host: 'elsewhere' })
  assert.equal(after.status, 400)
})

test('h2: an API logout whose body stalls while the proxy reads it is answered 408 and reaches nobody', { timeout: 10_000 }, async (t) => {
  const { gate, ory } = await startSessionGate(t)
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { timeouts: { requestMs: 1000 } }, { gate })
  const session = await h2Connect(t, proxy.url)
  const { status, ms } = await stallBody(session, { ':method': 'DELETE', ':path': '/.ory/self-service/logout/api', 'content-type': 'application/json' })
  assert.equal(status, 408)
  assert.ok(ms >= 900 && ms < 3000, `stream closed after ${ms} ms`)
  assert.deepEqual(ory.requests, [])
  assert.equal(app.requests.length, 0)
})

test('h2: an API logout too large to read first, stalling, is answered 408 through the forward path', { timeout: 10_000 }, async (t) => {
  const { gate, ory } = await startSessionGate(t)
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { timeouts: { requestMs: 1000 } }, { gate })
  const session = await h2Connect(t, proxy.url)
  // Above the 16 KiB the proxy reads for the session token: the body streams to Ory as it comes.
  const { status, ms } = await stallBody(session, {
    ':method': 'DELETE',
    ':path': '/.ory/self-service/logout/api',
    'content-type': 'application/json',
    'content-length': String(64 * 1024),
  })
  assert.equal(status, 408)
  assert.ok(ms >= 900 && ms < 3000, `stream closed after ${ms} ms`)
  assert.deepEqual(ory.requests, [], 'Ory never saw a complete logout')
  assert.equal(app.requests.length, 0)
})
