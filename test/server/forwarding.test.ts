import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { startUpstream } from '../helpers/upstream.js'

test('requests outside /.ory go to the app with its path prefix kept and the query verbatim', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const proxy = await startTestProxy(t, `${app.url}/base/`, ory.url)
  const res = await request(`${proxy.url}/page/x?a=%x&b=ok;c=1&a=2`)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.equal(app.requests.length, 1)
  assert.equal(app.requests[0]!.url, '/base/page/x?a=%x&b=ok;c=1&a=2')
  assert.equal(ory.requests.length, 0)
})

test('/.ory and /.ory/* go to Ory with the prefix removed once; /.orything goes to the app', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, `${ory.url}/kratos`)
  for (const [target, expected] of [
    ['/.ory/sessions/whoami?x=1', '/kratos/sessions/whoami?x=1'],
    ['/.ory', '/kratos/'],
    ['/.ory?flow=1', '/kratos/?flow=1'],
    ['/.ory/.ory/x', '/kratos/.ory/x'],
  ] as const) {
    const res = await request(proxy.url + target)
    await res.body.dump()
    assert.equal(ory.requests.at(-1)!.url, expected, target)
  }
  assert.equal(ory.requests.length, 4)
  const res = await request(`${proxy.url}/.orything`)
  await res.body.dump()
  assert.equal(app.requests.at(-1)!.url, '/.orything')
  assert.equal(app.requests.length, 1)
})

test('methods and request bodies pass through, with Content-Length or chunked', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const sized = await request(`${proxy.url}/upload`, { method: 'PUT', body: 'hello world' })
  assert.equal(((await sized.body.json()) as { bodyLength: number }).bodyLength, 11)
  const seen = app.requests.at(-1)!
  assert.equal(seen.method, 'PUT')
  assert.deepEqual(seen.headers['content-length'], ['11'])
  assert.equal(seen.body.toString(), 'hello world')

  // A body still arriving when the proxy dispatches has no known length: it goes on chunked.
  async function* chunks() {
    yield Buffer.from('abc')
    await new Promise((resolve) => setTimeout(resolve, 50))
    yield Buffer.from('def')
  }
  const chunked = await request(`${proxy.url}/upload`, { method: 'POST', body: Readable.from(chunks()) })
  assert.equal(((await chunked.body.json()) as { bodyLength: number }).bodyLength, 6)
  assert.equal(app.requests.at(-1)!.body.toString(), 'abcdef')
  assert.equal(app.requests.at(-1)!.headers['content-length'], undefined)
  assert.deepEqual(app.requests.at(-1)!.headers['transfer-encoding'], ['chunked'])
})

test('response status, headers and several Set-Cookie lines reach the client', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    res.writeHead(201, [
      'X-Custom', 'kept',
      'Set-Cookie', 'a=1; Path=/',
      'Set-Cookie', 'b=2; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'Content-Type', 'text/plain',
    ])
    res.end('created')
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(proxy.url)
  assert.equal(res.statusCode, 201)
  assert.equal(res.headers['x-custom'], 'kept')
  assert.deepEqual(res.headers['set-cookie'], [
    'a=1; Path=/; SameSite=Lax',
    'b=2; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; SameSite=Lax',
  ])
  assert.equal(await res.body.text(), 'created')
})

test('100 concurrent requests all complete with their own answers', async (t) => {
  const app = await startUpstream(t, (_req, res, seen) => {
    // Answer out of order, so a mixed-up response would show.
    setTimeout(() => res.end(seen.url), Math.random() * 20)
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const results = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const res = await request(`${proxy.url}/item/${i}`)
      return { status: res.statusCode, body: await res.body.text(), i }
    }),
  )
  for (const { status, body, i } of results) {
    assert.equal(status, 200)
    assert.equal(body, `/item/${i}`)
  }
  assert.equal(app.requests.length, 100)
})

test('an HTTP/1.0 client gets a close-delimited answer', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    res.setHeader('transfer-encoding', 'chunked')
    res.end('chunked body')
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n', 2000)
  assert.deepEqual(result.statuses, [200])
  assert.ok(result.text.endsWith('chunked body'), result.text)
  assert.doesNotMatch(result.text, /transfer-encoding/i)
  assert.ok(result.closed)
})
