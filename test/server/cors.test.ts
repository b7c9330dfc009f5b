import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { startUpstream } from '../helpers/upstream.js'

test('default: any origin is echoed with credentials on the actual response; Vary: Origin always', async (t) => {
  const app = await startUpstream(t, (_req, res) => {
    // The app's own CORS headers must not be duplicated (ory/cli#344).
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-credentials', 'false')
    res.end('ok')
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(proxy.url, { headers: { origin: 'https://anywhere.example' } })
  await res.body.dump()
  assert.equal(res.headers['access-control-allow-origin'], 'https://anywhere.example')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
  assert.match(res.headers['access-control-expose-headers'] as string, /Set-Cookie/)
  assert.equal(res.headers.vary, 'Origin')

  const noOrigin = await request(proxy.url)
  await noOrigin.body.dump()
  assert.equal(noOrigin.headers['access-control-allow-origin'], undefined)
  assert.equal(noOrigin.headers.vary, 'Origin')
})

test('preflights are answered by the proxy with 204 and never forwarded', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(`${proxy.url}/.ory/self-service/login`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://localhost:3000',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'Content-Type, X-CSRF-Token',
    },
  })
  await res.body.dump()
  assert.equal(res.statusCode, 204)
  assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000')
  assert.equal(res.headers['access-control-allow-methods'], 'POST')
  assert.equal(res.headers['access-control-allow-headers'], 'Content-Type, X-CSRF-Token')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
  assert.equal(res.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
  // Like every answer, HSTS off and the request id.
  assert.equal(res.headers['strict-transport-security'], 'max-age=0;')
  assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  assert.equal(app.requests.length, 0)

  // A header outside the list is refused: a bare 204.
  const refused = await request(proxy.url, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'X-Session-Token' },
  })
  await refused.body.dump()
  assert.equal(refused.statusCode, 204)
  assert.equal(refused.headers['access-control-allow-origin'], undefined)

  // OPTIONS without Access-Control-Request-Method is an ordinary request.
  await (await request(proxy.url, { method: 'OPTIONS' })).body.dump()
  assert.equal(app.requests.length, 1)
})

test('--allowed-cors-origins restricts origins (wildcards, the publish-url always allowed)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, {
    publishUrl: 'http://localhost:4000',
    allowedCorsOrigins: ['https://*.example.org', 'http://localhost:3000'],
  })
  const check = async (origin: string) => {
    const res = await request(proxy.url, { headers: { origin } })
    await res.body.dump()
    return res.headers['access-control-allow-origin']
  }
  assert.equal(await check('https://app.example.org'), 'https://app.example.org')
  assert.equal(await check('HTTP://LOCALHOST:3000'), 'HTTP://LOCALHOST:3000')
  assert.equal(await check('http://localhost:4000'), 'http://localhost:4000')
  assert.equal(await check('https://example.org'), undefined)
  assert.equal(await check('http://app.example.org'), undefined)
  assert.equal(await check('https://evil.example'), undefined)
  assert.equal(await check('null'), undefined)
})

test('a bare * in --allowed-cors-origins allows every origin (ory proxy matches nothing)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { allowedCorsOrigins: ['*'] })
  const res = await request(proxy.url, { headers: { origin: 'https://any.example' } })
  await res.body.dump()
  assert.equal(res.headers['access-control-allow-origin'], 'https://any.example')
})

test('--additional-cors-headers extends the allowed request headers, with X-* wildcards', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { additionalCorsHeaders: ['X-Session-Token', 'X-Custom-*'] })
  const preflight = async (headers: string) => {
    const res = await request(proxy.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': headers },
    })
    await res.body.dump()
    return res.headers['access-control-allow-headers']
  }
  assert.equal(await preflight('x-session-token'), 'x-session-token')
  assert.equal(await preflight('X-Custom-One, Accept'), 'X-Custom-One, Accept')
  assert.equal(await preflight('X-Other'), undefined)
})

test('methods outside the list get no CORS headers', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const res = await request(proxy.url, { method: 'PROPFIND', headers: { origin: 'http://localhost:3000' } })
  await res.body.dump()
  assert.equal(res.headers['access-control-allow-origin'], undefined)
})
