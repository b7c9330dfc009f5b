import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { request } from 'undici'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startTestProxy } from '../helpers/proxy.js'
import { raw } from '../helpers/raw.js'
import { answerRaw, startUpstream } from '../helpers/upstream.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('hop-by-hop and Connection-named request headers never reach the app, nor remove the proxy’s own (RFC 9110 §7.6.1; Go #50580, CVE-2021-33197)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(
    proxy.port,
    'GET /x HTTP/1.1\r\nHost: localhost\r\n' +
      'Connection: keep-alive, X-Foo, X-Forwarded-For\r\nConnection: close, x-bar\r\n' +
      'X-Foo: 1\r\nX-Bar: 2\r\nX-Kept: 3\r\n' +
      'Proxy-Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: gzip\r\nTrailer: X-T\r\n' +
      'Proxy-Authorization: Basic eA==\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
  )
  assert.deepEqual(result.statuses, [200])
  const seen = app.requests[0]!.headers
  for (const name of ['x-foo', 'x-bar', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'http2-settings']) {
    assert.equal(seen[name], undefined, `${name} must not be forwarded`)
  }
  assert.deepEqual(seen['x-kept'], ['3'])
  // The client named X-Forwarded-For in Connection; the proxy's own value must survive.
  assert.deepEqual(seen['x-forwarded-for'], ['127.0.0.1'])
})

test('a Cookie the client names in Connection is for the proxy alone: it never reaches the app (RFC 9110 §7.6.1)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  await raw(proxy.port, 'GET /named HTTP/1.1\r\nHost: localhost\r\nCookie: a=1\r\nConnection: Cookie\r\n\r\n')
  await raw(proxy.port, 'GET /plain HTTP/1.1\r\nHost: localhost\r\nCookie: a=1\r\nConnection: close\r\n\r\n')
  const [named, plain] = app.requests
  assert.equal(named!.url, '/named')
  assert.equal(named!.headers.cookie, undefined)
  assert.deepEqual(plain!.headers.cookie, ['a=1'])
})

test('TE: trailers is the one TE value forwarded', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nConnection: close\r\n\r\n')
  assert.deepEqual(app.requests[0]!.headers.te, ['trailers'])
})

test('hop-by-hop and Connection-named response headers never reach the client', async (t) => {
  const app = await startUpstream(t)
  answerRaw(
    app,
    'HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-Public: 2\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n0\r\n\r\n',
  )
  const proxy = await startTestProxy(t, app.url, app.url)
  const result = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  assert.deepEqual(result.statuses, [200])
  const head = result.text.slice(0, result.text.indexOf('\r\n\r\n')).toLowerCase()
  for (const name of ['x-secret', 'keep-alive: timeout', 'proxy-connection', 'upgrade']) {
    assert.ok(!head.includes(name), `${name} must not reach the client:\n${head}`)
  }
  assert.ok(head.includes('x-public: 2'))
  assert.ok(result.text.includes('hello'))
})

test('X-Forwarded-* (every one) and Forwarded from the client, _ spellings included, are replaced or dropped by the proxy, never trusted (CVE-2025-64484)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { publishUrl: 'https://gateway.local:5000' })
  const result = await raw(
    proxy.port,
    'GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\nX_Forwarded_For: 6.6.6.6\r\n' +
      'X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: gopher\r\nForwarded: for=6.6.6.6\r\n' +
      'X-Forwarded-Port: 1\r\nX-Forwarded-Ssl: on\r\nX-Forwarded-Scheme: https\r\nX_Forwarded_Server: evil.example\r\n' +
      'X-Forwarded-Uri: /admin\r\nX-Forwardedness: kept\r\nConnection: close\r\n\r\n',
  )
  assert.deepEqual(result.statuses, [200])
  const seen = app.requests[0]!.headers
  // The whole X-Forwarded- family, which Rack and others read for the scheme or the URL.
  for (const name of ['x-forwarded-ssl', 'x-forwarded-scheme', 'x_forwarded_server', 'x-forwarded-uri']) assert.equal(seen[name], undefined, name)
  assert.deepEqual(seen['x-forwardedness'], ['kept'])
  assert.deepEqual(seen['x-forwarded-for'], ['127.0.0.1'])
  assert.deepEqual(seen['x-forwarded-host'], ['gateway.local:5000'])
  assert.deepEqual(seen['x-forwarded-proto'], ['https'])
  assert.equal(seen.forwarded, undefined)
  assert.equal(seen['x_forwarded_for'], undefined)
  assert.equal(seen['x-forwarded-port'], undefined)
})

test("the app gets the browser's Host, or its own with --rewrite-host; Ory always its own", async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const plain = await startTestProxy(t, app.url, ory.url)
  await (await request(plain.url, { headers: { host: 'localhost:4000' } })).body.dump()
  assert.deepEqual(app.requests.at(-1)!.headers.host, ['localhost:4000'])
  await (await request(`${plain.url}/.ory/x`, { headers: { host: 'localhost:4000' } })).body.dump()
  assert.deepEqual(ory.requests.at(-1)!.headers.host, [`127.0.0.1:${ory.port}`])

  const rewriting = await startTestProxy(t, app.url, ory.url, { rewriteHost: true })
  await (await request(rewriting.url, { headers: { host: 'localhost:4000' } })).body.dump()
  assert.deepEqual(app.requests.at(-1)!.headers.host, [`127.0.0.1:${app.port}`])
})

test('X-Request-Id: generated when absent, kept when sane, replaced when not; it comes back', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const generated = await request(proxy.url)
  await generated.body.dump()
  const id = generated.headers['x-request-id'] as string
  assert.match(id, UUID)
  assert.deepEqual(app.requests.at(-1)!.headers['x-request-id'], [id])

  const kept = await request(proxy.url, { headers: { 'x-request-id': 'trace-123' } })
  await kept.body.dump()
  assert.equal(kept.headers['x-request-id'], 'trace-123')
  assert.deepEqual(app.requests.at(-1)!.headers['x-request-id'], ['trace-123'])

  const insane = await request(proxy.url, { headers: { 'x-request-id': 'x'.repeat(300) } })
  await insane.body.dump()
  assert.match(insane.headers['x-request-id'] as string, UUID)
})

test('every response disables HSTS as ory proxy does, replacing the app’s own', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    res.setHeader('strict-transport-security', 'max-age=31536000')
    res.end()
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(proxy.url)
  await res.body.dump()
  assert.equal(res.headers['strict-transport-security'], 'max-age=0;')
})

test('Ory-internal headers from the client are removed; Ory gets the proxy’s own', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, { publishUrl: 'http://localhost:4000' })
  const spoofed = {
    'ory-base-url-rewrite': 'https://evil.example',
    'ory-base-url-rewrite-token': 'stolen',
    'ory-no-custom-domain-redirect': 'false',
    'ory-ratelimit-action': 'skip',
    'Ory_Base_Url_Rewrite': 'https://evil.example',
  }
  await (await request(proxy.url, { headers: spoofed })).body.dump()
  const toApp = app.requests[0]!.headers
  for (const name of Object.keys(spoofed)) assert.equal(toApp[name.toLowerCase()], undefined, name)

  await (await request(`${proxy.url}/.ory/self-service/login/browser`, { headers: spoofed })).body.dump()
  const toOry = ory.requests[0]!.headers
  assert.deepEqual(toOry['ory-base-url-rewrite'], ['http://localhost:4000/.ory'])
  assert.deepEqual(toOry['ory-no-custom-domain-redirect'], ['true'])
  assert.equal(toOry['ory-base-url-rewrite-token'], undefined)
  assert.equal(toOry['ory_base_url_rewrite'], undefined)
  // As ory proxy: a client's rate-limit header reaches Ory only when the proxy sets none.
  assert.deepEqual(toOry['ory-ratelimit-action'], ['skip'])
})

test('the configured rate-limit action and API key token go to Ory only', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url, {}, {
    oryRequest: { baseUrlRewriteToken: 'ory_pt_key', rateLimitAction: 'ci' },
  })
  const headers = { 'ory-ratelimit-action': 'client' }
  await (await request(`${proxy.url}/.ory/x`, { headers })).body.dump()
  await (await request(`${proxy.url}/app`, { headers })).body.dump()
  assert.deepEqual(ory.requests[0]!.headers['ory-ratelimit-action'], ['ci'])
  assert.deepEqual(ory.requests[0]!.headers['ory-base-url-rewrite-token'], ['ory_pt_key'])
  assert.equal(app.requests[0]!.headers['ory-ratelimit-action'], undefined)
  assert.equal(app.requests[0]!.headers['ory-base-url-rewrite-token'], undefined)
})

test('headers undici refuses never turn a request into a 500', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const cases: Array<[string, string, number]> = [
    ['expect', 'POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello', 200],
    ['keep-alive', 'GET / HTTP/1.1\r\nHost: localhost\r\nKeep-Alive: 300\r\nConnection: close\r\n\r\n', 200],
    ['upgrade without Connection: upgrade', 'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n', 200],
    ['transfer-encoding', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 200],
    ['duplicate host', 'GET / HTTP/1.1\r\nHost: localhost\r\nHost: other\r\nConnection: close\r\n\r\n', 400],
    // An expectation nobody can meet (checklist a7): 417, and the app never sees the request.
    ['unknown expectation', 'POST / HTTP/1.1\r\nHost: localhost\r\nExpect: foo\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello', 417],
  ]
  for (const [name, bytes, status] of cases) {
    const before = app.requests.length
    const result = await raw(proxy.port, bytes)
    assert.deepEqual(result.statuses.filter((s) => s !== 100), [status], name)
    const forwarded = app.requests.slice(before)
    assert.equal(forwarded.length, status === 200 ? 1 : 0, name)
    for (const seen of forwarded) {
      for (const header of ['expect', 'keep-alive', 'upgrade']) assert.equal(seen.headers[header], undefined, `${name}: ${header}`)
    }
  }
  assert.equal(app.requests.find((r) => r.method === 'POST' && r.body.toString() === 'hello')?.body.length, 5)
  assert.equal(app.requests.find((r) => r.body.toString() === 'abc')?.body.length, 3)
})

test('a request that has passed through this proxy before is answered 508, not looped (RFC 9110 §7.6.3 Via)', async (t) => {
  let proxyPort = 0
  // A relay app that sends every request back to the proxy, as a misconfigured upstream would.
  const relay = await startUpstream(t, (req, res) => {
    const back = http.request({ port: proxyPort, host: '127.0.0.1', path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(res)
    })
    back.end()
  })
  const proxy = await startTestProxy(t, relay.url, relay.url)
  proxyPort = proxy.port
  const res = await request(proxy.url)
  assert.equal(res.statusCode, 508)
  await res.body.dump()
  assert.equal(relay.requests.length, 1)
})

test('Via names the proxy in both directions, after earlier hops, with the version of the message it received (RFC 9110 §7.6.3)', async (t) => {
  const app = await startUpstream(t, (_req, res, seen) => {
    res.setHeader('via', '1.1 app-cache')
    res.end(JSON.stringify(seen.headers.via))
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const own = /^ory-proxy-[0-9a-f]{8}$/

  const h1 = await request(`${proxy.url}/page`, { headers: { via: '1.0 corp-gateway' } })
  const [earlier, ours] = String(JSON.parse(await h1.body.text())).split(', ')
  assert.equal(earlier, '1.0 corp-gateway')
  const [version, pseudonym] = ours!.split(' ')
  assert.equal(version, '1.1')
  assert.match(pseudonym!, own)
  // The response names the same proxy after the app's own entry; Ory's answers too.
  assert.equal(h1.headers.via, `1.1 app-cache, 1.1 ${pseudonym}`)
  const ory = await request(`${proxy.url}/.ory/sessions/whoami`)
  await ory.body.dump()
  assert.equal(ory.headers.via, `1.1 app-cache, 1.1 ${pseudonym}`)

  const session = await h2Connect(t, proxy.url)
  const h2 = await h2Request(session, { ':path': '/over-h2', ':authority': 'localhost:4000' })
  assert.deepEqual(JSON.parse(h2.body.toString()), [`2 ${pseudonym}`])
  assert.equal(h2.headers.via, `1.1 app-cache, 1.1 ${pseudonym}`)

  // The proxy's own answers are not forwarded messages and carry no Via.
  const refused = await raw(proxy.port, 'GET /twice HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n')
  assert.deepEqual(refused.statuses, [400])
  assert.doesNotMatch(refused.text.slice(0, refused.text.indexOf('\r\n\r\n')), /^via:/im)
  assert.equal(app.requests.length, 3)
})
