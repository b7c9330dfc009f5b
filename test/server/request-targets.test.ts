import assert from 'node:assert/strict'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { startUpstream } from '../helpers/upstream.js'

/** A server standing for "another origin": it only counts connections. */
async function startEvil(t: TestContext): Promise<{ port: number; connections: () => number }> {
  let connections = 0
  const server = net.createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections }
}

test('request targets that could name another origin or climb out of the prefix are refused with 400 and reach nobody (GHSA-2q7r-29rg-6m5h)', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const evil = await startEvil(t)
  const proxy = await startTestProxy(t, `${app.url}/base`, ory.url)
  const targets = [
    `http://127.0.0.1:${evil.port}/x`,
    `//127.0.0.1:${evil.port}/x`,
    `/\\127.0.0.1:${evil.port}/x`,
    '/a/../../etc/passwd',
    '/a/%2e%2e/secret',
    '/a/%2E%2E',
    '/./x',
    '/.ory/../admin',
    '*',
  ]
  for (const target of targets) {
    const result = await raw(proxy.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    assert.deepEqual(result.statuses, [400], target)
    assert.ok(result.closed, `${target}: connection closed`)
  }
  assert.equal(app.requests.length, 0)
  assert.equal(ory.requests.length, 0)
  assert.equal(evil.connections(), 0)
})

test('dots inside names and in the query are fine', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  for (const target of ['/file.min.js', '/a/..b/c.', '/x?path=../../etc', '/.well-known/x', '/%2e%2ehidden']) {
    const result = await raw(proxy.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    assert.deepEqual(result.statuses, [200], target)
    assert.equal(app.requests.at(-1)!.url, target)
  }
})

test('hosts that are not host[:port] are refused with 400 and forward nothing', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const cases = [
    'Host: localhost\r\nHost: evil.example',
    'Host: evil.example@localhost',
    'Host: localhost/evil',
    'Host: localhost\\evil',
    'Host: a,b',
    'Host: ',
  ]
  for (const host of cases) {
    const result = await raw(proxy.port, `GET / HTTP/1.1\r\n${host}\r\n\r\n`)
    assert.deepEqual(result.statuses, [400], host)
  }
  assert.equal(app.requests.length, 0)
})

test('CONNECT and TRACE are answered 405 and forward nothing', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const connect = await raw(proxy.port, `CONNECT 127.0.0.1:${app.port} HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\n\r\n`)
  assert.deepEqual(connect.statuses, [405])
  assert.match(connect.text, /\r\nStrict-Transport-Security: max-age=0;\r\n/)
  const trace = await raw(proxy.port, 'TRACE / HTTP/1.1\r\nHost: localhost\r\nCookie: secret=1\r\n\r\n')
  assert.deepEqual(trace.statuses, [405])
  assert.ok(!trace.text.includes('secret=1'))
  assert.equal(app.requests.length, 0)
})

test('a 400 answer is JSON when the client asks for JSON', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET //x HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n')
  const body = JSON.parse(result.text.slice(result.text.indexOf('\r\n\r\n') + 4)) as {
    error: { code: number; reason: string; request: string }
  }
  assert.equal(body.error.code, 400)
  assert.match(body.error.reason, /single "\/"/)
  assert.match(result.text, new RegExp(`x-request-id: ${body.error.request}`, 'i'))
})
