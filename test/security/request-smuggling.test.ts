import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { spawnCli } from '../helpers/cli.js'
import { freePort, startBodyWatchingApp, startUpstream } from '../helpers/upstream.js'

/**
 * Request framing the proxy must never forward (checklist a5, b1, b2, b17). Node's parser rejects
 * most of these; the rest are the proxy's own checks. Each case also sends a second, smuggled
 * request on the same bytes: it must never reach the app.
 */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'
const CASES: Array<[name: string, head: string, status: number]> = [
  ['CL and TE (CVE-2022-32215 class)', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['TE then CL', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n', 400],
  ['two Content-Lengths', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n', 400],
  ['Content-Length: 5, 5', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5, 5\r\n\r\nhello', 400],
  ['negative Content-Length', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n', 400],
  ['hex Content-Length', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x5\r\n\r\nhello', 400],
  ['space before colon (CVE-2024-27982 class)', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', 400],
  ['leading space before Content-Length (CVE-2024-27982)', 'POST / HTTP/1.1\r\nHost: localhost\r\n Content-Length: 5\r\n\r\nhello', 400],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n', 400],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: localhost\n\n', 400],
  ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n', 400],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n', 400],
  ['TE: chunked, chunked', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', 400],
  ['TE: xchunked (Node accepts it)', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', 501],
  ['TE: gzip, chunked (RFC 9112 §6.1; Node accepts it)', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
  ['HTTP/1.0 with chunked', 'POST / HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['HTTP/2.0 request line over HTTP/1 (Node accepts it)', 'GET / HTTP/2.0\r\nHost: localhost\r\n\r\n', 505],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: localhost\r\n\r\n', 400],
  ['space in the target', 'GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
  ['bad method token', 'G(T / HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
  ['bad chunk size', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n', 400],
  ['huge chunk extension (CVE-2024-22019)', `POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;${'a'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`, 413],
]

test('malformed framing is refused and nothing reaches the app', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  for (const [name, head, status] of CASES) {
    await t.test(name, async () => {
      const before = app.requests.length
      const result = await raw(proxy.port, head + SMUGGLED, 1000)
      assert.equal(result.statuses[0], status, `${name}:\n${result.text}`)
      assert.equal(result.statuses.length, 1, `${name}: the smuggled request got no answer`)
      assert.ok(result.closed, `${name}: connection closed`)
      assert.equal(app.requests.length, before, `${name}: nothing forwarded`)
    })
  }
  assert.ok(!app.requests.some((r) => r.url === '/smuggled'))
})

test('a request body shorter than its Content-Length never reaches the app as complete', async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  await raw(proxy.port, 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly ten b', 300)
  await app.aborted
})

test('a chunked request that breaks mid-body is aborted upstream', async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const socket = net.connect(proxy.port, '127.0.0.1')
  t.after(() => socket.destroy())
  socket.on('error', () => {})
  socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
  // Only once the upstream request is under way does the framing break.
  await app.arrived
  socket.write('ZZ\r\n')
  await app.aborted
})

test('oversized headers are answered 431 and never forwarded', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const big = await raw(proxy.port, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  assert.deepEqual(big.statuses, [431])
  const many = Array.from({ length: 3000 }, (_, i) => `X-${i}: 1\r\n`).join('')
  const lots = await raw(proxy.port, `GET / HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`)
  assert.deepEqual(lots.statuses, [431])
  assert.equal(app.requests.length, 0)
})

test('the strict HTTP parser stays on even when NODE_OPTIONS asks for the lenient one', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '-q'], 'ready', {
    NODE_OPTIONS: '--insecure-http-parser',
  })
  const folded = await raw(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n')
  assert.deepEqual(folded.statuses, [400])
  const smuggled = await raw(port, 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
  assert.deepEqual(smuggled.statuses, [400])
  assert.equal(app.requests.length, 0)
})
