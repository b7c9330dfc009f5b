import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { freePort, startUpstream } from '../helpers/upstream.js'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'

test('app unreachable: 502 naming the app and the cause, HTML or JSON; served again once it is up', async (t) => {
  const port = await freePort()
  const appUrl = `http://127.0.0.1:${port}`
  const proxy = await startTestProxy(t, appUrl, appUrl)

  const html = await request(`${proxy.url}/page`)
  assert.equal(html.statusCode, 502)
  assert.match(html.headers['content-type'] as string, /text\/html/)
  const page = await html.body.text()
  assert.ok(page.includes(appUrl), page)
  assert.match(page, /ECONNREFUSED/)

  const json = await request(`${proxy.url}/api`, { headers: { accept: 'application/json' } })
  assert.equal(json.statusCode, 502)
  const body = (await json.body.json()) as { error: { code: number; reason: string } }
  assert.equal(body.error.code, 502)
  assert.ok(body.error.reason.includes(appUrl))

  // The app comes up on that port: the very next request works.
  const app = http.createServer((_req, res) => res.end('back'))
  await new Promise<void>((resolve) => app.listen(port, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => app.close(() => resolve())))
  const ok = await request(proxy.url)
  assert.equal(ok.statusCode, 200)
  assert.equal(await ok.body.text(), 'back')
})

test('upstream too slow: 504 after the configured timeout, and the proxy keeps serving', async (t) => {
  let hang = true
  const app = await startUpstream(t, (_req, res) => {
    if (!hang) res.end('fast')
  })
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { upstreamHeadersMs: 300 } })
  const started = Date.now()
  const slow = await request(proxy.url, { headers: { accept: 'application/json' } })
  assert.equal(slow.statusCode, 504)
  const body = (await slow.body.json()) as { error: { reason: string } }
  assert.match(body.error.reason, /did not answer in time/)
  assert.ok(Date.now() - started < 5000)
  hang = false
  const next = await request(proxy.url)
  assert.equal(await next.body.text(), 'fast')
})

test('client abort: the upstream request is aborted', async (t) => {
  let closedUpstream!: () => void
  const upstreamClosed = new Promise<void>((resolve) => (closedUpstream = resolve))
  const app = http.createServer((req, res) => {
    // Never answers; records when the proxy gives up on it.
    res.on('close', () => closedUpstream())
    req.resume()
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    app.closeAllConnections()
    return new Promise<void>((resolve) => app.close(() => resolve()))
  })
  const appUrl = `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`
  const proxy = await startTestProxy(t, appUrl, appUrl)
  const socket = net.connect(proxy.port, '127.0.0.1')
  socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await new Promise((resolve) => setTimeout(resolve, 100))
  socket.destroy()
  await upstreamClosed
  // And the proxy still serves.
  const again = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 200)
  assert.equal(again.closed, false, 'the hung app holds this one; the proxy accepted it')
})

test('app resets after the headers: the client connection is cut, not ended cleanly', async (t) => {
  const app = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
      setTimeout(() => socket.resetAndDestroy(), 50)
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => app.close(() => resolve())))
  const appUrl = `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`
  const proxy = await startTestProxy(t, appUrl, appUrl)
  const result = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 2000)
  assert.deepEqual(result.statuses, [200])
  assert.ok(result.text.includes('hello'))
  assert.ok(!result.text.endsWith('0\r\n\r\n'), 'no terminating chunk after a truncated body')
})

test('app sends garbage: 502', async (t) => {
  const app = net.createServer((socket) => {
    socket.once('data', () => socket.end('this is not HTTP\r\n\r\n'))
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => app.close(() => resolve())))
  const appUrl = `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`
  const proxy = await startTestProxy(t, appUrl, appUrl)
  const res = await request(proxy.url)
  assert.equal(res.statusCode, 502)
  assert.match(await res.body.text(), /invalid response/)
})
