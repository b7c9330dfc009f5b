import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import zlib from 'node:zlib'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { startUpstream, type Responder } from '../helpers/upstream.js'

/** An Ory-like server that answers every request with `respond(oryUrl)`. */
async function startOry(t: TestContext, respond: (oryUrl: string) => Responder) {
  let oryUrl = ''
  const ory = await startUpstream(t, (req, res, seen) => respond(oryUrl)(req, res, seen))
  oryUrl = ory.url
  return ory
}

test('Ory Set-Cookie lines stay separate and lose the Ory domain; Secure/SameSite follow the http publish-url', async (t) => {
  const ory = await startOry(t, (url) => (_req, res) => {
    res.setHeader('set-cookie', [
      `ory_session_x=v; Path=/; Domain=${new URL(url).hostname}; Max-Age=86400; HttpOnly; Secure; SameSite=None`,
      'csrf_token_x=t; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; Secure',
      '__Host-x=1; Path=/; Secure',
    ])
    res.end()
  })
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const res = await request(`${proxy.url}/.ory/self-service/login/browser`)
  await res.body.dump()
  assert.deepEqual(res.headers['set-cookie'], [
    'ory_session_x=v; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax',
    'csrf_token_x=t; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; SameSite=Lax',
    '__Host-x=1; Path=/; Secure',
  ])
})

test('--cookie-domain, and an https publish-url behind a gateway, shape cookies and redirects', async (t) => {
  const ory = await startOry(t, (url) => (_req, res) => {
    res.setHeader('set-cookie', 'ory_session_x=v; Path=/; Domain=ory.internal; SameSite=None; Secure')
    res.writeHead(303, { location: `${url}/ui/login?flow=abc` })
    res.end()
  })
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, {
    publishUrl: 'https://gateway.local:5000',
    cookieDomain: 'gateway.local',
  })
  const res = await request(`${proxy.url}/.ory/self-service/login/browser`)
  await res.body.dump()
  assert.equal(res.statusCode, 303)
  assert.equal(res.headers.location, 'https://gateway.local:5000/.ory/ui/login?flow=abc')
  assert.equal(res.headers['set-cookie'], 'ory_session_x=v; Path=/; Domain=gateway.local; Secure; SameSite=None')
})

test('after login Ory redirects to /ui/welcome: the browser goes to the default redirect instead', async (t) => {
  const ory = await startOry(t, (url) => (_req, res) => {
    res.writeHead(303, { location: `${url}/ui/welcome` })
    res.end()
  })
  const app = await startUpstream(t)
  const byDefault = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const first = await request(`${byDefault.url}/.ory/self-service/login`, { method: 'POST' })
  await first.body.dump()
  assert.equal(first.headers.location, 'http://localhost:4000')

  const custom = await startTestProxy(t, app.url, ory.url, { defaultRedirectUrl: '/dashboard' })
  const second = await request(`${custom.url}/.ory/self-service/login`, { method: 'POST' })
  await second.body.dump()
  assert.equal(second.headers.location, '/dashboard')
})

test('Ory bodies have the Ory URL replaced, in every coding, with Content-Length corrected', async (t) => {
  const document = (url: string) => JSON.stringify({ ui: { action: `${url}/self-service/login?flow=1` }, return_to: `${url}/ui/x` })
  const codings: Record<string, (input: Buffer) => Buffer> = {
    identity: (input) => input,
    gzip: zlib.gzipSync,
    deflate: zlib.deflateSync,
    br: zlib.brotliCompressSync,
  }
  const ory = await startOry(t, (url) => (req, res) => {
    const coding = req.url!.slice(1)
    const body = codings[coding]!(Buffer.from(document(url)))
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length }
    if (coding !== 'identity') headers['content-encoding'] = coding
    res.writeHead(200, headers)
    res.end(body)
  })
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const expected = document('http://localhost:4000/.ory')
  const decoders: Record<string, (input: Buffer) => Buffer> = {
    identity: (input) => input,
    gzip: zlib.gunzipSync,
    deflate: zlib.inflateSync,
    br: zlib.brotliDecompressSync,
  }
  for (const coding of Object.keys(codings)) {
    const res = await request(`${proxy.url}/.ory/${coding}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    const raw = Buffer.from(await res.body.arrayBuffer())
    assert.equal(Number(res.headers['content-length']), raw.length, coding)
    assert.equal(res.headers['content-encoding'], coding === 'identity' ? undefined : coding)
    assert.equal(decoders[coding]!(raw).toString(), expected, coding)
  }
})

test('a chunked Ory body is rewritten and sent with its length; HEAD carries no stale length', async (t) => {
  const ory = await startOry(t, (url) => (req, res) => {
    res.setHeader('content-type', 'text/html')
    if (req.method === 'HEAD') {
      res.setHeader('content-length', 999)
      return res.end()
    }
    res.write(`<form action="${url}/self-service/login">`)
    setTimeout(() => res.end(`<a href="${url}/ui/login">`), 20)
  })
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const res = await request(`${proxy.url}/.ory/ui/login`)
  const body = await res.body.text()
  assert.equal(body, '<form action="http://localhost:4000/.ory/self-service/login"><a href="http://localhost:4000/.ory/ui/login">')
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(body))
  const head = await request(`${proxy.url}/.ory/ui/login`, { method: 'HEAD' })
  await head.body.dump()
  assert.equal(head.headers['content-length'], undefined)
})

test('Ory bodies above the bound, binary bodies and undecodable bodies pass through unmodified', async (t) => {
  const ory = await startOry(t, (url) => (req, res) => {
    if (req.url === '/large') {
      res.setHeader('content-type', 'text/plain')
      res.end(`${url} `.repeat(200))
    } else if (req.url === '/large-chunked') {
      res.setHeader('content-type', 'text/plain')
      res.write(`${url} `.repeat(100))
      setTimeout(() => res.end(`${url} `.repeat(100)), 20)
    } else if (req.url === '/image') {
      res.setHeader('content-type', 'image/svg')
      res.end(url)
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
      res.end(`not gzip ${url}`)
    }
  })
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, {}, { maxRewriteBytes: 1024 })
  for (const path of ['/large', '/large-chunked', '/image', '/broken']) {
    const res = await request(`${proxy.url}/.ory${path}`)
    const body = Buffer.from(await res.body.arrayBuffer()).toString()
    assert.ok(body.includes(ory.url), `${path} passes unmodified`)
    assert.ok(!body.includes('/.ory'), path)
  }
})

test('app bodies are never rewritten; an app Location on its own host points back at the publish-url', async (t) => {
  const app = await startUpstream(t, (_req, res, seen) => {
    res.writeHead(302, { location: `http://127.0.0.1:${seen.headers['x-app-port']![0]}/base/next?x=1`, 'content-type': 'text/html' })
    res.end('see https://ory.example and http://127.0.0.1')
  })
  const proxy = await startTestProxy(t, `${app.url}/base`, 'https://ory.example', { publishUrl: 'http://localhost:4000' })
  const res = await request(`${proxy.url}/go`, { headers: { 'x-app-port': String(app.port) } })
  assert.equal(res.headers.location, 'http://localhost:4000/next?x=1')
  assert.equal(await res.body.text(), 'see https://ory.example and http://127.0.0.1')
})
