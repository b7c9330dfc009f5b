import assert from 'node:assert/strict'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'

/** An app that speaks only HTTP/2 with prior knowledge (h2c), recording what it receives. */
async function startH2cApp(t: TestContext) {
  const seen: Array<{ version: string; method: string; url: string; authority: string | undefined; host: string | undefined; body: string }> = []
  const server = http2.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      seen.push({ version: req.httpVersion, method: req.method, url: req.url, authority: req.headers[':authority'], host: req.headers.host, body })
      res.setHeader('content-type', 'text/plain')
      res.addTrailers({ 'x-served-by': 'h2c-app' })
      res.end(`h2 ${req.method} ${req.url}`)
    })
  })
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (session) => sessions.add(session))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => (sessions.forEach((session) => session.destroy()), server.close(() => resolve()))))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

test('--app-h2 with an http app: HTTP/2 with prior knowledge (h2c), Host as :authority, bodies and trailers relayed', async (t) => {
  const app = await startH2cApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { appH2: true })
  const res = await request(`${proxy.url}/save?x=1`, {
    method: 'POST',
    body: 'payload',
    headers: { host: 'localhost:4000', te: 'trailers' },
  })
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), 'h2 POST /save?x=1')
  assert.deepEqual(res.trailers, { 'x-served-by': 'h2c-app' })
  // The response came to the proxy over HTTP/2 (RFC 9110 §7.6.3).
  assert.match(String(res.headers.via), /^2 ory-proxy-[0-9a-f]{8}$/)
  assert.deepEqual(app.seen, [
    { version: '2.0', method: 'POST', url: '/save?x=1', authority: 'localhost:4000', host: undefined, body: 'payload' },
  ])
  // Many requests share the one connection's streams.
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => request(`${proxy.url}/n${i}`).then((r) => r.body.text())))
  assert.deepEqual(answers, Array.from({ length: 20 }, (_, i) => `h2 GET /n${i}`))
})

test('without --app-h2 the app is spoken to over HTTP/1.1: an h2c-only app is a 502', async (t) => {
  const app = await startH2cApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(proxy.url)
  assert.equal(res.statusCode, 502)
  await res.body.dump()
  assert.equal(app.seen.length, 0)
})
