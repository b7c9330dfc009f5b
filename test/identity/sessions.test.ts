import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isNoActiveSession } from '@ory/client-fetch'
import { request } from 'undici'
import { CookieJar, openApiFlow, registerUser, startTestIdentity, submitApi, testClock, type FlowJsonForTests } from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

interface SessionBody {
  readonly id: string
  readonly active: boolean
  readonly expires_at: string
  readonly identity: { readonly id: string; readonly traits: { readonly email: string } }
}

async function apiSessionToken(origin: string, email: string): Promise<string> {
  const done = await submitApi(await openApiFlow(origin, 'registration'), { method: 'password', traits: { email }, password: PASSWORD })
  return ((await done.body.json()) as { session_token: string }).session_token
}

test("whoami without a valid session is Kratos' 401 session_inactive, whatever the credential", async (t) => {
  const identity = await startTestIdentity(t)
  for (const headers of [{}, { cookie: 'ory_kratos_session=ory_st_nope' }, { 'x-session-token': 'nope' }, { authorization: 'Bearer nope' }]) {
    const response = await request(`${identity.url}/sessions/whoami`, { headers: { 'x-request-id': 'req-1', ...headers } })
    assert.equal(response.statusCode, 401)
    const body = (await response.body.json()) as { error: Record<string, unknown> }
    assert.deepEqual(body.error, {
      code: 401,
      status: 'Unauthorized',
      id: 'session_inactive',
      message: 'request does not have a valid authentication session',
      reason: 'No active session was found in this request.',
      request: 'req-1',
    })
    assert.ok(isNoActiveSession(body), "Ory's SDK recognises it")
  }
})

test('whoami answers the session with the identity id header and no caching', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'alice@example.org', PASSWORD)
  const response = await jar.fetch(`${identity.url}/sessions/whoami`)
  assert.equal(response.status, 200)
  const session = (await response.json()) as SessionBody
  assert.equal(session.active, true)
  assert.equal(response.headers.get('x-kratos-authenticated-identity-id'), session.identity.id)
  assert.match(response.headers.get('cache-control')!, /no-store/)
})

test("whoami reads credentials in Kratos' order: X-Session-Token, then the cookie, then Bearer", async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'order@example.org', PASSWORD)
  const cookie = jar.header()!
  const token = await apiSessionToken(identity.url, 'token@example.org')
  const emailFor = async (headers: Record<string, string>) => {
    const response = await request(`${identity.url}/sessions/whoami`, { headers })
    if (response.statusCode !== 200) return (await response.body.dump(), response.statusCode)
    return ((await response.body.json()) as SessionBody).identity.traits.email
  }
  assert.equal(await emailFor({ cookie, authorization: 'Bearer nope' }), 'order@example.org')
  assert.equal(await emailFor({ cookie, 'x-session-token': token }), 'token@example.org')
  assert.equal(await emailFor({ cookie: 'other=1', authorization: `Bearer ${token}` }), 'token@example.org')
  assert.equal(await emailFor({ 'x-session-token': 'nope', cookie }), 401)
})

test('a session ends after its lifespan: whoami turns 401 and the cookie expired with it', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now, sessionLifetimeMs: 30 * 60 * 1000 })
  const jar = new CookieJar()
  const start = await jar.fetch(`${identity.url}/self-service/registration/browser`, { headers: { accept: 'application/json' } })
  const flow = (await start.json()) as FlowJsonForTests
  const done = await jar.fetch(flow.ui.action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ method: 'password', csrf_token: flow.ui.nodes[0]!.attributes.value, traits: { email: 'bob@example.org' }, password: PASSWORD }),
  })
  assert.match(done.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session'))!, /Max-Age=1800;/)
  const session = (await done.json()) as { session: SessionBody }
  assert.equal(session.session.expires_at, new Date(Date.UTC(2026, 0, 1) + 30 * 60 * 1000).toISOString())
  clock.advance(30 * 60 * 1000 - 1)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 200)
  clock.advance(1)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 401)
})

test('browser logout: logout/browser gives the URL; following it ends the session and clears the cookie', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'carol@example.org', PASSWORD)
  const created = await jar.fetch(`${identity.url}/self-service/logout/browser`)
  assert.equal(created.status, 200)
  const logout = (await created.json()) as { logout_url: string; logout_token: string }
  assert.equal(logout.logout_url, `${identity.url}/self-service/logout?token=${logout.logout_token}`)
  const done = await jar.fetch(logout.logout_url)
  assert.equal(done.status, 303)
  assert.equal(done.headers.get('location'), `${identity.url}/ui/welcome`)
  assert.match(done.headers.getSetCookie()[0]!, /^ory_kratos_session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=\/; Domain=127\.0\.0\.1/)
  assert.equal(jar.get('ory_kratos_session'), undefined)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 401)
})

test('logout as an SPA is 204, and return_to is where a browser goes afterwards', async (t) => {
  const identity = await startTestIdentity(t)
  const spa = await registerUser(identity.url, 'dan@example.org', PASSWORD)
  const { logout_url } = (await (await spa.fetch(`${identity.url}/self-service/logout/browser`)).json()) as { logout_url: string }
  const done = await spa.fetch(logout_url, { headers: { accept: 'application/json' } })
  assert.equal(done.status, 204)
  assert.equal((await spa.fetch(`${identity.url}/sessions/whoami`)).status, 401)

  const browser = await registerUser(identity.url, 'dan2@example.org', PASSWORD)
  const target = `${identity.url}/ui/login`
  const withReturn = (await (await browser.fetch(`${identity.url}/self-service/logout/browser?return_to=${encodeURIComponent(target)}`)).json()) as { logout_url: string }
  const evil = await browser.fetch(`${identity.url}/self-service/logout/browser?return_to=${encodeURIComponent('https://evil.example/')}`)
  assert.equal(evil.status, 400)
  assert.equal(((await evil.json()) as { error: { id: string } }).error.id, 'self_service_flow_return_to_forbidden')
  const moved = await browser.fetch(withReturn.logout_url)
  assert.equal(moved.headers.get('location'), target)
})

test('logout refuses a token that is not the session\'s (403, session kept), no token (400), and no session (401)', async (t) => {
  const identity = await startTestIdentity(t)
  const alice = await registerUser(identity.url, 'erin@example.org', PASSWORD)
  const bob = await registerUser(identity.url, 'fay@example.org', PASSWORD)
  const { logout_url } = (await (await bob.fetch(`${identity.url}/self-service/logout/browser`)).json()) as { logout_url: string }
  const wrong = await alice.fetch(logout_url, { headers: { accept: 'application/json' } })
  assert.equal(wrong.status, 403)
  assert.match(((await wrong.json()) as { error: { reason: string } }).error.reason, /does not match the session cookie/)
  assert.equal((await alice.fetch(`${identity.url}/sessions/whoami`)).status, 200)
  const asNavigation = await alice.fetch(logout_url)
  assert.equal(asNavigation.status, 303)
  assert.equal((await fetch(asNavigation.headers.get('location')!)).status, 403, 'the error page says 403')
  assert.equal((await alice.fetch(`${identity.url}/self-service/logout`, { headers: { accept: 'application/json' } })).status, 400)
  const anonymous = await fetch(`${identity.url}/self-service/logout/browser`)
  assert.equal(anonymous.status, 401)
  assert.equal(((await anonymous.json()) as { error: { id: string } }).error.id, 'session_inactive')
})

test('API logout: DELETE with the session_token ends it (204); an unknown token is 403, none is 400', async (t) => {
  const identity = await startTestIdentity(t)
  const token = await apiSessionToken(identity.url, 'gus@example.org')
  const remove = (body: unknown) =>
    request(`${identity.url}/self-service/logout/api`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  assert.equal((await remove({})).statusCode, 400)
  assert.equal((await remove({ session_token: 'ory_st_unknown' })).statusCode, 403)
  assert.equal((await remove({ session_token: token })).statusCode, 204)
  assert.equal((await request(`${identity.url}/sessions/whoami`, { headers: { 'x-session-token': token } })).statusCode, 401)
  assert.equal((await remove({ session_token: token })).statusCode, 403, 'a second logout finds nothing')
})

test('the admin listener revokes a session by id with the admin token (204); a wrong token is 401, an unknown id 404; the public port has no /admin', async (t) => {
  const identity = await startTestIdentity(t, { adminToken: 'test-admin-token' })
  assert.equal(identity.adminToken, 'test-admin-token')
  const jar = await registerUser(identity.url, 'hal@example.org', PASSWORD)
  const session = (await (await jar.fetch(`${identity.url}/sessions/whoami`)).json()) as SessionBody
  const revoke = (id: string, token: string) =>
    request(`${identity.adminUrl}/admin/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  assert.equal((await revoke(session.id, 'wrong')).statusCode, 401)
  const publicPort = await request(`${identity.url}/admin/sessions/${session.id}`, { method: 'DELETE', headers: { authorization: 'Bearer test-admin-token' } })
  assert.equal(publicPort.statusCode, 404)
  await publicPort.body.dump()
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 200)
  assert.equal((await revoke('00000000-0000-4000-8000-000000000000', 'test-admin-token')).statusCode, 404)
  assert.equal((await revoke(session.id, 'test-admin-token')).statusCode, 204)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 401)
})
