import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { request } from 'undici'
import { isProxyError } from '../../src/errors.js'
import { startIdentityServer } from '../../src/identity/server.js'
import { createLogger } from '../../src/logger.js'
import { raw } from '../helpers/raw.js'
import { CookieJar, csrfOf, openFlow, registerUser, startTestIdentity, submitJson, testClock } from '../helpers/identity.js'
import { tempDir } from '../helpers/temp-dir.js'

const PASSWORD = 'correct horse battery'

async function logIn(origin: string, email: string, password: string): Promise<number> {
  const jar = new CookieJar()
  const flow = await openFlow(jar, origin, 'login')
  return (await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier: email, password })).status
}

test('unknown paths are 404 and wrong methods 405 with Allow, in the Ory error shape', async (t) => {
  const identity = await startTestIdentity(t)
  const missing = await request(`${identity.url}/admin/identities`)
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(((await missing.body.json()) as { error: { code: number; status: string } }).error.status, 'Not Found')
  const wrong = await request(`${identity.url}/sessions/whoami`, { method: 'POST' })
  assert.equal(wrong.statusCode, 405)
  assert.equal(wrong.headers.allow, 'GET')
  await wrong.body.dump()
})

test('bodies: over 64 KiB is 413 and the connection closes; other types 400; broken JSON 400', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const big = await jar.fetch(flow.ui.action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ pad: 'x'.repeat(70_000) }),
  })
  assert.equal(big.status, 413)
  assert.equal(big.headers.get('connection'), 'close')
  for (const [type, body, reason] of [
    ['text/plain', 'hello', /urlencoded or application\/json/],
    ['application/json', '{"method":', /not valid JSON/],
    ['application/json', '[1,2]', /must be a JSON object/],
  ] as const) {
    const response = await jar.fetch(flow.ui.action, { method: 'POST', headers: { 'content-type': type, accept: 'application/json' }, body })
    assert.equal(response.status, 400, type)
    assert.match(((await response.json()) as { error: { reason: string } }).error.reason, reason)
  }
  // A chunked body without a length is cut off just the same.
  const chunked = await raw(
    identity.port,
    `POST /self-service/registration?flow=${flow.id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n11170\r\n${'x'.repeat(0x11170)}\r\n0\r\n\r\n`,
    2_000,
  )
  assert.deepEqual(chunked.statuses, [413])
})

test('the identity schema and health endpoints answer; HEAD works like GET without a body', async (t) => {
  const identity = await startTestIdentity(t)
  const schema = (await (await fetch(`${identity.url}/schemas/ZGVmYXVsdA`)).json()) as {
    properties: { traits: { properties: { email: Record<string, unknown> }; required: string[] } }
  }
  assert.equal(schema.properties.traits.properties.email.format, 'email')
  assert.deepEqual(schema.properties.traits.required, ['email'])
  assert.deepEqual(await (await fetch(`${identity.url}/health/ready`)).json(), { status: 'ok' })
  const head = await request(`${identity.url}/health/alive`, { method: 'HEAD' })
  assert.equal(head.statusCode, 200)
  assert.equal(await head.body.text(), '')
})

test("targets that are not plain paths are refused with 400, and the server (the proxy's process) keeps serving", async (t) => {
  const identity = await startTestIdentity(t)
  const result = await raw(identity.port, 'GET http://evil.example/self-service/login/browser HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n')
  assert.deepEqual(result.statuses, [400])
  assert.ok(!result.text.includes('evil.example'), 'nothing is built from the foreign host')
  // `/\[` makes WHATWG URL parsing throw; it must not become an unhandled rejection.
  for (const target of ['/\\[', '//evil.example/x', '/\\evil.example/ui/login']) {
    const answer = await raw(identity.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    assert.deepEqual(answer.statuses, [400], target)
  }
  assert.equal((await request(`${identity.url}/health/alive`)).statusCode, 200)
})

test('cookies: Domain is the host where browsers allow it, host-only for localhost, Secure for an https base URL', async (t) => {
  const cases: Array<[string | undefined, RegExp]> = [
    [undefined, /; Path=\/; Domain=127\.0\.0\.1; HttpOnly; SameSite=Lax$/],
    ['http://localhost:4433', /; Path=\/; HttpOnly; SameSite=Lax$/],
    ['https://auth.example.test', /; Path=\/; Domain=auth\.example\.test; HttpOnly; Secure; SameSite=Lax$/],
    ['http://[::1]:4433', /; Path=\/; HttpOnly; SameSite=Lax$/],
  ]
  for (const [baseUrl, expected] of cases) {
    const identity = await startTestIdentity(t, { baseUrl })
    const response = await fetch(`http://127.0.0.1:${identity.port}/self-service/login/browser`, { redirect: 'manual' })
    assert.match(response.headers.getSetCookie()[0]!, expected, String(baseUrl))
    if (baseUrl !== undefined) assert.ok(response.headers.get('location')!.startsWith(`${new URL(baseUrl).origin}/ui/login?flow=`))
  }
})

test('bad options are ConfigErrors before anything listens', async () => {
  for (const [options, message] of [
    [{ baseUrl: 'localhost:4433' }, /--base-url must use http or https/],
    [{ baseUrl: 'http://admin:pw@localhost:4433' }, /--base-url must not contain credentials/],
    [{ baseUrl: 'http://localhost:4433/kratos' }, /must not have a path/],
    [{ baseUrl: 'nope' }, /--base-url must be an absolute/],
    [{ port: 70_000 }, /--port must be an integer/],
    [{ sessionLifetimeMs: 0 }, /session lifespan must be longer than 0/],
  ] as const) {
    await assert.rejects(startIdentityServer({ port: 0, ...options }), (error: unknown) => isProxyError(error) && error.code === 'ERR_CONFIG' && message.test(error.message))
  }
})

test('a port in use is ERR_LISTEN', async (t) => {
  const first = await startTestIdentity(t)
  await assert.rejects(startIdentityServer({ port: first.port }), (error: unknown) => isProxyError(error) && error.code === 'ERR_LISTEN')
})

test('with --identity-store, identities and sessions survive a restart (token hashes only); expired sessions are dropped at load', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const clock = testClock()
  const first = await startIdentityServer({ port: 0, storeFile: file, now: clock.now, sessionLifetimeMs: 60 * 60 * 1000 })
  assert.equal(first.storeFile, file)
  const jar = await registerUser(first.url, 'kept@example.org', PASSWORD)
  const token = jar.get('ory_kratos_session')!
  await first.close()
  const text = readFileSync(file, 'utf8')
  const saved = JSON.parse(text) as { identities: Array<{ traits: { email: string } }>; sessions: Array<{ tokenHash: string; active: boolean }> }
  assert.deepEqual(saved.identities.map((i) => i.traits.email), ['kept@example.org'])
  assert.equal(saved.sessions.length, 1)
  assert.ok(!text.includes(PASSWORD), 'only the password hash is stored')
  assert.ok(!text.includes(token), 'only the token hash is stored')

  clock.advance(30 * 60 * 1000)
  const second = await startIdentityServer({ port: 0, storeFile: file, now: clock.now, sessionLifetimeMs: 60 * 60 * 1000 })
  const kept = await fetch(`${second.url}/sessions/whoami`, { headers: { cookie: `ory_kratos_session=${token}` } })
  assert.equal(kept.status, 200, 'the session outlived the restart')
  assert.equal(await logIn(second.url, 'kept@example.org', PASSWORD), 200)
  assert.equal(await logIn(second.url, 'kept@example.org', 'not the password'), 400)
  await second.close()

  clock.advance(31 * 60 * 1000)
  const third = await startTestIdentity(t, { storeFile: file, now: clock.now, sessionLifetimeMs: 60 * 60 * 1000 })
  const stale = await fetch(`${third.url}/sessions/whoami`, { headers: { cookie: `ory_kratos_session=${token}` } })
  assert.equal(stale.status, 401, 'expired while the server was down')
  await registerUser(third.url, 'another@example.org', PASSWORD)
  await third.close()
  const rewritten = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Array<{ identityId: string }> }
  // The login on the second server (1 h lifespan from 30 min) is still live; the first session is gone.
  assert.equal(rewritten.sessions.length, 2)
})

test('without --identity-store, a restart signs everyone out', async (t) => {
  const first = await startIdentityServer({ port: 0 })
  const jar = await registerUser(first.url, 'gone@example.org', PASSWORD)
  await first.close()
  const second = await startTestIdentity(t)
  assert.equal((await fetch(`${second.url}/sessions/whoami`, { headers: { cookie: jar.header()! } })).status, 401)
})

test('concurrent sign-ups over HTTP all land in the store file intact', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const identity = await startTestIdentity(t, { storeFile: file })
  const emails = Array.from({ length: 12 }, (_, i) => `concurrent${i}@example.org`)
  await Promise.all(emails.map((email) => registerUser(identity.url, email, PASSWORD)))
  await identity.close()
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { identities: Array<{ traits: { email: string } }> }
  assert.deepEqual(saved.identities.map((i) => i.traits.email).sort(), [...emails].sort())
})

test('a store write failure is a 500 in the Ory error shape, logged, and nobody is registered', async (t) => {
  const folder = join(tempDir(t), 'data')
  mkdirSync(folder)
  const lines: string[] = []
  const identity = await startTestIdentity(t, {
    storeFile: join(folder, 'identities.json'),
    logger: createLogger({ write: (line) => lines.push(line) }),
  })
  rmSync(folder, { recursive: true })
  writeFileSync(folder, 'not a folder')
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'lost@example.org' }, password: PASSWORD })
  assert.equal(response.status, 500)
  const body = (await response.json()) as { error: { code: number; reason: string } }
  assert.equal(body.error.code, 500)
  assert.match(body.error.reason, /--identity-store: cannot write/)
  assert.equal(jar.get('ory_kratos_session'), undefined)
  assert.match(lines.join(''), /warning: identity server: POST \/self-service\/registration: --identity-store: cannot write/)
  assert.equal(await logIn(identity.url, 'lost@example.org', PASSWORD), 400)
})

test('a store file that cannot be read is refused at start with ERR_IDENTITY_STORE', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  writeFileSync(file, 'not json')
  await assert.rejects(startIdentityServer({ port: 0, storeFile: file }), (error: unknown) => isProxyError(error) && error.code === 'ERR_IDENTITY_STORE')
})

test('content negotiation as Kratos does it: JSON for clients that prefer it, redirects for browsers and */*', async (t) => {
  const identity = await startTestIdentity(t)
  const cases: Array<[string | undefined, number]> = [
    ['application/json', 200],
    // Axios, which @ory/client uses: as specific as can be for JSON, only */* for HTML.
    ['application/json, text/plain, */*', 200],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 303],
    ['text/html;q=0.5, application/json;q=0.9', 200],
    ['application/json;q=0, */*', 303],
    ['*/*', 303],
    [undefined, 303],
  ]
  for (const [accept, status] of cases) {
    const response = await request(`${identity.url}/self-service/login/browser`, { headers: accept === undefined ? {} : { accept } })
    await response.body.dump()
    assert.equal(response.statusCode, status, String(accept))
  }
})
