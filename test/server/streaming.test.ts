import assert from 'node:assert/strict'
import type http from 'node:http'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startTestProxy } from '../helpers/proxy.js'
import { raw, statusesOf } from '../helpers/raw.js'
import { startUpstream } from '../helpers/upstream.js'

/**
 * An app whose event stream sends one event, then waits until the test says the client has it
 * before sending the second and ending: the first event can only arrive early if nothing buffers.
 */
async function startEventApp(t: TestContext, contentType: string) {
  let allowEnd!: () => void
  const clientHasFirst = new Promise<void>((resolve) => (allowEnd = resolve))
  const app = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' })
    res.write('data: first\n\n')
    void clientHasFirst.then(() => res.end('data: second\n\n'))
  })
  return { app, allowEnd }
}

test('server-sent events reach an HTTP/1.1 client event by event, before the stream ends', async (t) => {
  const { app, allowEnd } = await startEventApp(t, 'text/event-stream')
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(`${proxy.url}/events`, { headers: { accept: 'text/event-stream' } })
  assert.equal(res.headers['content-type'], 'text/event-stream')
  let text = ''
  for await (const chunk of res.body) {
    text += chunk.toString()
    if (text === 'data: first\n\n') allowEnd()
  }
  assert.equal(text, 'data: first\n\ndata: second\n\n')
})

test('a chunked response reaches an HTTP/2 client chunk by chunk, before it ends', async (t) => {
  const { app, allowEnd } = await startEventApp(t, 'application/octet-stream')
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({ ':path': '/stream', ':authority': 'localhost' })
  let text = ''
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    if (text === 'data: first\n\n') allowEnd()
  })
  await new Promise((resolve) => stream.on('end', resolve))
  assert.equal(text, 'data: first\n\ndata: second\n\n')
})

/** An app that sends a chunked body followed by trailers, announced in `Trailer`. */
async function startTrailerApp(t: TestContext) {
  return startUpstream(t, (_req, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum, server-timing' })
    res.write('hello ')
    res.addTrailers({ 'x-checksum': 'abc123', 'server-timing': 'db;dur=53', 'set-cookie': 'smuggled=1' })
    res.end('world')
  })
}

test('trailers reach an HTTP/1.1 client that sent TE: trailers, announced; forbidden fields are dropped', async (t) => {
  const app = await startTrailerApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nConnection: close\r\n\r\n', 2000)
  const headEnd = result.text.indexOf('\r\n\r\n') + 2
  const head = result.text.slice(0, headEnd)
  const body = result.text.slice(headEnd + 2)
  assert.match(head, /\r\ntrailer: x-checksum, server-timing\r\n/i)
  assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i)
  const tail = result.text.slice(result.text.indexOf('\r\n0\r\n') + 5)
  assert.match(tail, /^x-checksum: abc123\r\n/m)
  assert.match(tail, /^server-timing: db;dur=53\r\n/m)
  assert.doesNotMatch(tail, /smuggled/)
  assert.ok(body.includes('hello ') && result.text.includes('world'))
})

test('trailers are dropped for an HTTP/1.1 client that did not ask for them', async (t) => {
  const app = await startTrailerApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 2000)
  assert.deepEqual(result.statuses, [200])
  assert.doesNotMatch(result.text, /x-checksum/i)
})

test('trailers reach an HTTP/2 client', async (t) => {
  const app = await startTrailerApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const res = await h2Request(session, { ':path': '/', ':authority': 'localhost', te: 'trailers' })
  assert.equal(res.body.toString(), 'hello world')
  assert.equal(res.headers.trailer, 'x-checksum, server-timing')
  assert.equal(res.trailers?.['x-checksum'], 'abc123')
  assert.equal(res.trailers?.['server-timing'], 'db;dur=53')
  assert.equal(res.trailers?.['set-cookie'], undefined)
})

/** An app with a 1000-byte page (HEAD-able), a 204, a 304 for a matching ETag, and a small page. */
async function startBodylessApp(t: TestContext) {
  return startUpstream(t, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1000))
    } else if (req.url === '/nothing') {
      res.writeHead(204, { 'x-done': '1' })
      res.end()
    } else if (req.url === '/cached') {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' })
      else res.writeHead(200, { etag: '"v1"' })
      res.end(req.headers['if-none-match'] === '"v1"' ? undefined : 'fresh')
    } else {
      res.end('small')
    }
  })
}

test('HEAD, 204 and 304 carry no body: a keep-alive connection stays in sync', async (t) => {
  const app = await startBodylessApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const socket = net.connect(proxy.port, '127.0.0.1')
  t.after(() => socket.destroy())
  let text = ''
  socket.on('data', (chunk) => (text += chunk.toString('latin1')))
  const ended = new Promise((resolve) => socket.on('close', resolve))
  socket.write(
    'HEAD /big HTTP/1.1\r\nHost: localhost\r\n\r\n' +
      'GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n' +
      'GET /cached HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: "v1"\r\n\r\n' +
      'GET /small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
  )
  await ended
  assert.deepEqual(statusesOf(text), [200, 204, 304, 200])
  const responses = text.split(/(?=HTTP\/1\.1 )/)
  assert.match(responses[0]!, /\r\ncontent-length: 1000\r\n/i)
  assert.ok(responses[0]!.endsWith('\r\n\r\n'), 'HEAD: no body')
  assert.doesNotMatch(responses[1]!, /content-length|transfer-encoding/i)
  assert.ok(responses[1]!.endsWith('\r\n\r\n'), '204: no body')
  assert.match(responses[2]!, /\r\netag: "v1"\r\n/i)
  assert.match(responses[2]!, /\r\ncache-control: max-age=60\r\n/i)
  assert.ok(responses[2]!.endsWith('\r\n\r\n'), '304: no body')
  assert.ok(responses[3]!.endsWith('\r\n\r\nsmall'), `the last answer is /small: ${responses[3]}`)
})

test('HEAD, 204 and 304 over HTTP/2 end without DATA', async (t) => {
  const app = await startBodylessApp(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const head = await h2Request(session, { ':method': 'HEAD', ':path': '/big', ':authority': 'localhost' })
  assert.equal(head.status, 200)
  assert.equal(head.headers['content-length'], '1000')
  assert.equal(head.body.length, 0)
  const nothing = await h2Request(session, { ':path': '/nothing', ':authority': 'localhost' })
  assert.equal(nothing.status, 204)
  assert.equal(nothing.body.length, 0)
  const cached = await h2Request(session, { ':path': '/cached', ':authority': 'localhost', 'if-none-match': '"v1"' })
  assert.equal(cached.status, 304)
  assert.equal(cached.headers.etag, '"v1"')
  assert.equal(cached.body.length, 0)
})

test('Expect: 100-continue: the client gets 100 before sending the body, the app no Expect', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const socket = net.connect(proxy.port, '127.0.0.1')
  t.after(() => socket.destroy())
  let text = ''
  const hundred = new Promise<void>((resolve) =>
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) resolve()
    }),
  )
  socket.write('POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n')
  await hundred
  assert.equal(app.requests.length, 0, 'nothing forwarded before the body')
  const ended = new Promise((resolve) => socket.on('close', resolve))
  socket.write('hello')
  await ended
  assert.deepEqual(statusesOf(text), [100, 200])
  const seen = app.requests[0]!
  assert.equal(seen.body.toString(), 'hello')
  assert.equal(seen.headers.expect, undefined)
})

test('Expect: 100-continue over HTTP/2: 100, then the body goes through', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request(
    { ':method': 'POST', ':path': '/upload', ':authority': 'localhost', expect: '100-continue', 'content-length': '5' },
    { endStream: false },
  )
  await new Promise((resolve) => stream.once('continue', resolve))
  stream.end('hello')
  const status = await new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))))
  stream.resume()
  assert.equal(status, 200)
  assert.equal(app.requests[0]!.body.toString(), 'hello')
  assert.equal(app.requests[0]!.headers.expect, undefined)
})
