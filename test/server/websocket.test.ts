import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { test } from 'node:test'
import { h2Connect } from '../helpers/h2.js'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { startSessionGate } from '../helpers/session-gate.js'
import { openFds, until } from '../helpers/until.js'
import { freePort, startUpstream } from '../helpers/upstream.js'
import { openWebSocket, startWebSocketApp } from '../helpers/websocket.js'
import { maskedTextFrame, serverFrames } from '../helpers/ws-frames.js'

function wsUrl(proxyUrl: string, path: string): string {
  return proxyUrl.replace(/^http/, 'ws') + path
}

test('a WebSocket reaches the app through the proxy: Vite HMR handshake, echo, JWT on the upgrade, headers cleaned', async (t) => {
  const app = await startWebSocketApp(t)
  const { gate, ory, subjectOf } = await startSessionGate(t)
  ory.addCookieSession('ory_session_test', 'alice-cookie', 'alice')
  const proxy = await startTestProxy(t, app.url, app.url, { publishUrl: 'http://localhost:4000' }, { gate })
  const client = await openWebSocket(t, wsUrl(proxy.url, '/?token=abc'), 'vite-hmr', {
    headers: {
      cookie: 'ory_session_test=alice-cookie',
      authorization: 'Bearer forged',
      'x-forwarded-for': '6.6.6.6',
      'proxy-authorization': 'Basic eA==',
    },
  })
  assert.equal(client.socket.protocol, 'vite-hmr')
  assert.equal(await client.next(), '{"type":"connected"}')
  client.socket.send('{"type":"ping"}')
  assert.equal(await client.next(), 'echo:{"type":"ping"}')

  const seen = app.sockets[0]!
  assert.equal(seen.url, '/?token=abc')
  assert.equal(await subjectOf(seen.headers.authorization), 'alice')
  assert.deepEqual(seen.headers['x-forwarded-for'], ['127.0.0.1'])
  assert.deepEqual(seen.headers['x-forwarded-host'], ['localhost:4000'])
  assert.deepEqual(seen.headers['sec-websocket-protocol'], ['vite-hmr'])
  assert.equal(seen.headers['proxy-authorization'], undefined)
  assert.deepEqual(seen.headers.upgrade, ['websocket'])
  assert.equal(proxy.tunnels, 1)

  // The app pushes an update, as Vite does on a file change.
  seen.socket.send('{"type":"full-reload","path":"*"}')
  assert.equal(await client.next(), '{"type":"full-reload","path":"*"}')

  // Vite's "is the server back?" probe: a vite-ping socket the server accepts and closes.
  const ping = await openWebSocket(t, wsUrl(proxy.url, '/'), 'vite-ping')
  assert.equal(await ping.closed, 1000)
})

test('upgrades other than WebSocket are refused with 400 and reach nobody (h2c smuggling)', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const key = 'dGhlIHNhbXBsZSBub25jZQ=='
  const cases: Array<[string, string]> = [
    ['h2c', 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n'],
    ['unknown token', 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: tls/1.3\r\n\r\n'],
    ['websocket listed with another token', 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n'],
    ['POST websocket', `POST / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`],
    ['websocket with a body', `GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 4\r\n\r\nabcd`],
    ['websocket to the JWKS', `GET /.ory/jwks.json HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`],
    ['websocket with a smuggled path', `GET //evil.example/ HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`],
  ]
  const { gate } = await startSessionGate(t)
  const jwt = await startTestProxy(t, app.url, app.url, {}, { gate })
  for (const [name, bytes] of cases) {
    const result = await raw(name.includes('JWKS') ? jwt.port : proxy.port, bytes, 2000)
    assert.deepEqual(result.statuses, [400], `${name}: ${result.text}`)
    assert.equal(result.closed, true, `${name}: connection closed`)
  }
  assert.deepEqual(app.paths, [])
  assert.equal(app.sockets.length, 0)
})

test('an app that refuses the upgrade: its answer is relayed and the connection closed', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' })
    res.end('no sockets here')
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(
    proxy.port,
    'GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    2000,
  )
  assert.deepEqual(result.statuses, [403])
  assert.ok(result.text.includes('no sockets here'), result.text)
  assert.match(result.text, /\r\nconnection: close\r\n/i)
  assert.equal(result.closed, true)
  // The app was asked for the upgrade with the handshake headers.
  assert.deepEqual(app.requests[0]!.headers.upgrade, ['websocket'])
  assert.deepEqual(app.requests[0]!.headers['sec-websocket-version'], ['13'])
  assert.equal(proxy.tunnels, 0)
})

test('app down: the WebSocket handshake gets the 502 page', async (t) => {
  const port = await freePort()
  const proxy = await startTestProxy(t, `http://127.0.0.1:${port}`, `http://127.0.0.1:${port}`)
  await assert.rejects(openWebSocket(t, wsUrl(proxy.url, '/')), /unexpected response 502/)
})

test('the app closing its socket closes the client’s, and the reverse; tunnels are released', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)

  const first = await openWebSocket(t, wsUrl(proxy.url, '/a'))
  const fromApp = app.sockets[0]!
  // An abrupt close (no close frame, TCP reset) on the app side.
  fromApp.socket.terminate()
  assert.equal(await first.closed, 1006)

  const second = await openWebSocket(t, wsUrl(proxy.url, '/b'))
  const atApp = app.sockets[1]!
  const appClosed = new Promise<void>((resolve) => atApp.socket.once('close', () => resolve()))
  second.socket.terminate()
  await appClosed

  // A clean close handshake passes through both ways.
  const third = await openWebSocket(t, wsUrl(proxy.url, '/c'))
  third.socket.close(4000, 'bye')
  assert.equal(await third.closed, 4000)
  await until(() => proxy.tunnels === 0, 'every tunnel to be released')
})

test('an idle tunnel is closed after the idle timeout; a busy one is not', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { tunnelIdleMs: 300 } })
  const idle = await openWebSocket(t, wsUrl(proxy.url, '/idle'))
  const busy = await openWebSocket(t, wsUrl(proxy.url, '/busy'))
  let echoes = 0
  // Keep the busy socket talking, one message after each echo, until the idle one is gone.
  busy.socket.on('message', () => {
    echoes++
    if (idle.socket.readyState === idle.socket.OPEN) setTimeout(() => busy.socket.send('tick'), 50)
  })
  busy.socket.send('tick')
  assert.equal(await idle.closed, 1006)
  assert.equal(busy.socket.readyState, busy.socket.OPEN)
  assert.ok(echoes > 0)
})

test('1000 WebSocket open/close cycles leave no file descriptors behind', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const cycle = async () => {
    const client = await openWebSocket(t, wsUrl(proxy.url, '/hmr'))
    client.socket.close()
    await client.closed
  }
  await cycle()
  await until(() => proxy.tunnels === 0, 'the warm-up tunnel to close')
  const baseline = openFds()
  for (let batch = 0; batch < 50; batch++) await Promise.all(Array.from({ length: 20 }, cycle))
  await until(() => proxy.tunnels === 0, 'every tunnel to close')
  await until(() => openFds() <= baseline + 2, `file descriptors back to ${baseline} ± 2 (now ${openFds()})`)
})

test('shutdown closes open tunnels at once instead of waiting for the deadline', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { shutdownMs: 30_000 } })
  const client = await openWebSocket(t, wsUrl(proxy.url, '/hmr'))
  await proxy.close()
  assert.equal(await client.closed, 1006)
  assert.equal(proxy.tunnels, 0)
})

test('a WebSocket under /.ory goes to Ory with the prefix removed', async (t) => {
  const app = await startWebSocketApp(t)
  const ory = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, ory.url)
  const client = await openWebSocket(t, wsUrl(proxy.url, '/.ory/events'))
  client.socket.send('hi')
  assert.equal(await client.next(), 'echo:hi')
  assert.equal(ory.sockets[0]!.url, '/events')
  assert.equal(app.sockets.length, 0)
})

test('HTTP/2 extended CONNECT (RFC 8441) carries a WebSocket to an HTTP/1.1 app, JWT included', async (t) => {
  const app = await startWebSocketApp(t)
  const { gate, ory, subjectOf } = await startSessionGate(t)
  ory.addCookieSession('ory_session_test', 'bob-cookie', 'bob')
  const proxy = await startTestProxy(t, app.url, app.url, {}, { gate })
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': '/hmr',
    ':authority': 'localhost:4000',
    'sec-websocket-version': '13',
    'sec-websocket-protocol': 'vite-hmr',
    cookie: 'ory_session_test=bob-cookie',
  })
  const response = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve))
  assert.equal(response[':status'], 200)
  assert.equal(response['sec-websocket-protocol'], 'vite-hmr')
  assert.equal(response['sec-websocket-accept'], undefined)

  const received: Buffer[] = []
  const frames = () => serverFrames(Buffer.concat(received))
  stream.on('data', (chunk: Buffer) => received.push(chunk))
  await until(() => frames().length >= 1, 'the connected message')
  stream.write(maskedTextFrame('over h2'))
  await until(() => frames().length >= 2, 'the echo')
  assert.deepEqual(
    frames().map((frame) => frame.text),
    ['{"type":"connected"}', 'echo:over h2'],
  )
  const seen = app.sockets[0]!
  assert.equal(seen.url, '/hmr')
  assert.equal(await subjectOf(seen.headers.authorization), 'bob')
  assert.equal(seen.headers['sec-websocket-key']?.length, 1)

  // The client resetting its stream closes the app's socket.
  const appClosed = new Promise<void>((resolve) => seen.socket.once('close', () => resolve()))
  stream.close(http2.constants.NGHTTP2_CANCEL)
  await appClosed
  await until(() => proxy.tunnels === 0, 'the tunnel to be released')
})

test('HTTP/2 CONNECT without :protocol is refused with 405', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({ ':method': 'CONNECT', ':authority': 'evil.example:443' })
  const response = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve))
  assert.equal(response[':status'], 405)
  stream.resume()
  assert.equal(app.paths.length + app.sockets.length, 0)
})
