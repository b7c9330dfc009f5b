import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import {
  CookieJar,
  csrfOf,
  nodeOf,
  openApiFlow,
  openFlow,
  registerUser,
  startTestIdentity,
  submitApi,
  submitForm,
  submitJson,
  testClock,
  type FlowJsonForTests,
} from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

interface SessionBody {
  readonly id: string
  readonly identity: { readonly traits: { readonly email: string } }
}

test('login is served with the fields Kratos sends: csrf, identifier, password, the Sign in button', async (t) => {
  const identity = await startTestIdentity(t)
  const flow = (await openFlow(new CookieJar(), identity.url, 'login')) as FlowJsonForTests & Record<string, unknown>
  assert.deepEqual(
    flow.ui.nodes.map((n) => [n.group, n.attributes.name, n.attributes.type]),
    [
      ['default', 'csrf_token', 'hidden'],
      ['default', 'identifier', 'text'],
      ['password', 'password', 'password'],
      ['password', 'method', 'submit'],
    ],
  )
  assert.equal(flow.state, 'choose_method')
  assert.equal(flow.refresh, false)
  assert.equal(flow.requested_aal, 'aal1')
  assert.equal(flow.request_url, `${identity.url}/self-service/login/browser`)
})

test('a browser logs in by form: 303 to /ui/welcome with a new session cookie', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'alice@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'login')
  const response = await submitForm(jar, flow, { csrf_token: csrfOf(flow), identifier: 'alice@example.org', password: PASSWORD, method: 'password' })
  assert.equal(response.status, 303)
  assert.equal(response.headers.get('location'), `${identity.url}/ui/welcome`)
  const whoami = await jar.fetch(`${identity.url}/sessions/whoami`)
  assert.equal(((await whoami.json()) as SessionBody).identity.traits.email, 'alice@example.org')
})

test('an SPA logs in with JSON (identifier in any case, or the older password_identifier field)', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'bob@example.org', PASSWORD)
  for (const field of ['identifier', 'password_identifier']) {
    const jar = new CookieJar()
    const flow = await openFlow(jar, identity.url, 'login')
    const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), [field]: ' BOB@Example.org ', password: PASSWORD })
    assert.equal(response.status, 200, field)
    const body = (await response.json()) as { session: SessionBody; session_token?: string }
    assert.equal(body.session.identity.traits.email, 'bob@example.org')
    assert.equal(body.session_token, undefined)
    assert.ok(jar.get('ory_kratos_session'))
  }
})

test('an API login returns a session_token for whoami', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'carol@example.org', PASSWORD)
  const flow = await openApiFlow(identity.url, 'login')
  const response = await submitApi(flow, { method: 'password', identifier: 'carol@example.org', password: PASSWORD })
  assert.equal(response.statusCode, 200)
  const body = (await response.body.json()) as { session_token: string; session: SessionBody }
  const whoami = await request(`${identity.url}/sessions/whoami`, { headers: { 'x-session-token': body.session_token } })
  assert.equal(((await whoami.body.json()) as SessionBody).id, body.session.id)
})

test('a wrong password and an unknown email get the same 400: the flow, message 4000006, the identifier kept', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'dan@example.org', PASSWORD)
  for (const [identifier, password] of [
    ['dan@example.org', 'wrong password!'],
    ['nobody@example.org', PASSWORD],
  ] as const) {
    const jar = new CookieJar()
    const flow = await openFlow(jar, identity.url, 'login')
    const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier, password })
    assert.equal(response.status, 400)
    const failed = (await response.json()) as FlowJsonForTests
    assert.equal(failed.id, flow.id)
    assert.deepEqual(
      failed.ui.messages?.map((m) => [m.id, m.type]),
      [[4000006, 'error']],
    )
    assert.match(failed.ui.messages![0]!.text, /credentials are invalid/)
    assert.equal(nodeOf(failed, 'identifier').attributes.value, identifier)
    assert.equal(jar.get('ory_kratos_session'), undefined)
  }
})

test('a wrong password by form goes back to the login page, which shows the message', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'erin@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'login')
  const response = await submitForm(jar, flow, { csrf_token: csrfOf(flow), identifier: 'erin@example.org', password: 'nope nope nope', method: 'password' })
  assert.equal(response.status, 303)
  const page = await jar.fetch(response.headers.get('location')!)
  assert.equal(page.status, 200)
  const html = await page.text()
  assert.match(html, /data-message-id="4000006"/)
  assert.match(html, /value="erin@example.org"/)
})

test('missing identifier or password: 400 with Property … is missing on the field', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'login')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow) })
  assert.equal(response.status, 400)
  const failed = (await response.json()) as FlowJsonForTests
  assert.deepEqual(nodeOf(failed, 'identifier').messages.map((m) => m.text), ['Property identifier is missing.'])
  assert.deepEqual(nodeOf(failed, 'password').messages.map((m) => m.text), ['Property password is missing.'])
})

test('an expired login flow: 410 naming a fresh flow that says so (4010001)', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'login')
  clock.advance(60 * 60 * 1000 + 1)
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier: 'x@example.org', password: PASSWORD })
  assert.equal(response.status, 410)
  const { use_flow_id } = (await response.json()) as { use_flow_id: string }
  const fresh = (await (await jar.fetch(`${identity.url}/self-service/login/flows?id=${use_flow_id}`)).json()) as FlowJsonForTests
  assert.equal(fresh.ui.messages?.[0]?.id, 4010001)
  assert.match(fresh.ui.messages![0]!.text, /The login flow expired 0\.00 minutes ago/)
})

test('a login with a bad anti-CSRF token is 403 and signs nobody in', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'fay@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'login')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: 'B'.repeat(86), identifier: 'fay@example.org', password: PASSWORD })
  assert.equal(response.status, 403)
  assert.equal(((await response.json()) as { error: { id: string } }).error.id, 'security_csrf_violation')
  assert.equal(jar.get('ory_kratos_session'), undefined)
})

test('signed in: a new login is 400 session_already_available, unless ?refresh=true, which replaces the session', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'gus@example.org', PASSWORD)
  const before = jar.get('ory_kratos_session')!
  const refused = await jar.fetch(`${identity.url}/self-service/login/browser`, { headers: { accept: 'application/json' } })
  assert.equal(refused.status, 400)
  assert.equal(((await refused.json()) as { error: { id: string } }).error.id, 'session_already_available')

  const flow = (await openFlow(jar, identity.url, 'login', 'browser', '?refresh=true')) as FlowJsonForTests & { refresh: boolean }
  assert.equal(flow.refresh, true)
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier: 'gus@example.org', password: PASSWORD })
  assert.equal(response.status, 200)
  assert.notEqual(jar.get('ory_kratos_session'), before)
  const old = await fetch(`${identity.url}/sessions/whoami`, { headers: { cookie: `ory_kratos_session=${before}` } })
  assert.equal(old.status, 401, 'the re-authenticated session replaced the old one')
})

test('a successful login flow cannot be replayed (4010007)', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'hal@example.org', PASSWORD)
  const flow = await openApiFlow(identity.url, 'login')
  const submit = () => submitApi(flow, { method: 'password', identifier: 'hal@example.org', password: PASSWORD })
  assert.equal((await submit()).statusCode, 200)
  const replay = await submit()
  assert.equal(replay.statusCode, 400)
  assert.equal(((await replay.body.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4010007)
})
