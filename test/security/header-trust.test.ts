import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { startUpstream } from '../helpers/upstream.js'

test('spoofed X-Forwarded-Host/Proto never shape a rewritten Location or cookie (ory/x trusts them; checklist a3)', async (t) => {
  let oryUrl = ''
  const ory = await startUpstream(t, (_req, res) => {
    res.setHeader('set-cookie', 'csrf=1; Path=/; Secure; SameSite=None')
    res.writeHead(303, { location: `${oryUrl}/ui/login?flow=1` })
    res.end()
  })
  oryUrl = ory.url
  const proxy = await startTestProxy(t, ory.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const res = await request(`${proxy.url}/.ory/self-service/login/browser`, {
    headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example' },
  })
  await res.body.dump()
  assert.equal(res.headers.location, 'http://localhost:4000/.ory/ui/login?flow=1')
  assert.equal(res.headers['set-cookie'], 'csrf=1; Path=/; SameSite=Lax')
})

test('CR/LF reflected from a path into Location stays percent-encoded (checklist b10)', async (t) => {
  const app = await startUpstream(t, (_req, res, seen) => {
    // An app that reflects the raw path into a redirect, as many login pages do.
    res.writeHead(302, { location: seen.url })
    res.end()
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET /next%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  assert.deepEqual(result.statuses, [302])
  assert.match(result.text, /location: \/next%0d%0aSet-Cookie:%20evil=1\r\n/i)
  assert.doesNotMatch(result.text, /\r\nset-cookie: evil/i)
})

test('obs-text bytes Node accepts in a request header pass through unchanged, never a 500 (checklist b11)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const head = Buffer.concat([
    Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nX-Latin: caf'),
    Buffer.from([0xe9, 0x80]),
    Buffer.from('\r\nConnection: close\r\n\r\n'),
  ])
  const result = await raw(proxy.port, head)
  assert.deepEqual(result.statuses, [200])
  assert.deepEqual(app.requests[0]!.headers['x-latin'], ['caf\u00e9\u0080'])
})

test('1,000 slowloris sockets do not keep a normal client from being served, and all are cut (checklist d4)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { requestHeadersMs: 3000 } })
  const slow: net.Socket[] = []
  let cutSoFar = 0
  const closed: Promise<void>[] = []
  t.after(() => slow.forEach((socket) => socket.destroy()))
  await Promise.all(
    Array.from({ length: 1000 }, () => {
      const socket = net.connect(proxy.port, '127.0.0.1')
      socket.on('error', () => {})
      // Read whatever the proxy answers (its 408), so the close is seen.
      socket.resume()
      closed.push(new Promise((resolve) => socket.on('close', () => (cutSoFar++, resolve()))))
      slow.push(socket)
      return new Promise<void>((resolve) => socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: local', () => resolve())))
    }),
  )
  const res = await request(`${proxy.url}/normal`)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  // Served while every slow socket was still being held open.
  assert.equal(cutSoFar, 0)
  const cut = await Promise.race([
    Promise.all(closed).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 8000)),
  ])
  assert.equal(cut, true, `every slow socket was closed (${cutSoFar} of 1000)`)
  assert.equal(app.requests.length, 1)
})
