import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { startBodyWatchingApp, startUpstream } from '../helpers/upstream.js'

/** Resolves with how long the server took to close a socket that sent `bytes` and then stalled. */
function timeToClose(port: number, bytes: string, limitMs: number): Promise<{ ms: number; text: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    let text = ''
    socket.on('data', (data) => (text += data.toString('latin1')))
    socket.on('error', () => {})
    const limit = setTimeout(() => {
      socket.destroy()
      reject(new Error(`still open after ${limitMs} ms`))
    }, limitMs)
    socket.on('close', () => {
      clearTimeout(limit)
      resolve({ ms: Date.now() - started, text })
    })
  })
}

test('slowloris: a partial request head is cut within 2 s (408) and nothing is forwarded', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { requestHeadersMs: 1000 } })
  const closed = await timeToClose(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 5000)
  assert.ok(closed.ms < 2000, `closed after ${closed.ms} ms`)
  assert.match(closed.text, /^HTTP\/1\.1 408/)
  assert.equal(app.requests.length, 0)
})

test('a request body that stalls is cut after the request timeout and the upstream request aborted', async (t) => {
  const app = await startBodyWatchingApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { requestHeadersMs: 500, requestMs: 1000 } })
  const closed = await timeToClose(proxy.port, 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc', 5000)
  assert.ok(closed.ms < 3000, `closed after ${closed.ms} ms`)
  await app.aborted
})

test('idle keep-alive connections are closed after the keep-alive timeout', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { keepAliveMs: 300 } })
  const closed = await timeToClose(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 3000)
  assert.match(closed.text, /^HTTP\/1\.1 200/)
  assert.ok(closed.ms < 2000, `closed after ${closed.ms} ms`)
})

test('an upstream body that stalls after the headers: the client connection is cut, not completed', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-length': 100 })
    res.write('first bytes')
  })
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { upstreamBodyMs: 300 } })
  const result = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 3000)
  assert.deepEqual(result.statuses, [200])
  assert.ok(result.text.endsWith('first bytes'))
  assert.ok(result.closed, 'the proxy closed the connection')
})

test('an Ory body that stalls while it is held for its rewrite: 504 after the upstream timeout, not a hang (checklist c2)', { timeout: 10_000 }, async (t) => {
  const ory = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 })
    res.write('{"ui":')
  })
  const app = await startUpstream(t)
  // No body timeout is set (the default): the upstream timeout bounds an idle Ory body.
  const proxy = await startTestProxy(t, app.url, ory.url, { timeouts: { upstreamHeadersMs: 300 } })
  const started = Date.now()
  const res = await request(`${proxy.url}/.ory/self-service/login/browser`, { headers: { accept: 'application/json' } })
  assert.equal(res.statusCode, 504)
  await res.body.dump()
  assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`)
})

test('a slow app gets 504 within the upstream timeout, even for a long request', async (t) => {
  const app = await startUpstream(t, () => {})
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { upstreamHeadersMs: 200 } })
  const res = await request(proxy.url, { method: 'POST', body: 'x'.repeat(1000) })
  assert.equal(res.statusCode, 504)
  await res.body.dump()
})
