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

async function whoamiEmail(origin: string, jar: CookieJar): Promise<string | undefined> {
  const response = await jar.fetch(`${origin}/sessions/whoami`)
  if (response.status !== 200) return undefined
  return ((await response.json()) as { identity: { traits: { email: string } } }).identity.traits.email
}

test('a browser signs up by form: 303 to the page, post, 303 to /ui/welcome with the session cookie', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const start = await jar.fetch(`${identity.url}/self-service/registration/browser`)
  assert.equal(start.status, 303)
  const page = start.headers.get('location')!
  assert.match(page, new RegExp(`^${identity.url}/ui/registration\\?flow=[0-9a-f-]{36}$`))
  const csrfCookie = jar.names().find((name) => name.startsWith('csrf_token_'))
  assert.ok(csrfCookie, 'the anti-CSRF cookie is set')
  assert.match(start.headers.getSetCookie()[0]!, /; Path=\/; Domain=127\.0\.0\.1; HttpOnly; SameSite=Lax$/)

  const flowId = new URL(page).searchParams.get('flow')!
  const flowResponse = await jar.fetch(`${identity.url}/self-service/registration/flows?id=${flowId}`)
  const flow = (await flowResponse.json()) as FlowJsonForTests
  const done = await submitForm(jar, flow, {
    csrf_token: csrfOf(flow),
    'traits.email': 'Alice@Example.org',
    password: PASSWORD,
    method: 'password',
  })
  assert.equal(done.status, 303)
  assert.equal(done.headers.get('location'), `${identity.url}/ui/welcome`)
  const session = done.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='))!
  assert.match(session, /^ory_kratos_session=ory_st_[\w-]{43}; Expires=[^;]+; Max-Age=86400; Path=\/; Domain=127\.0\.0\.1; HttpOnly; SameSite=Lax$/)
  assert.equal(await whoamiEmail(identity.url, jar), 'Alice@Example.org')
})

test('an SPA signs up with JSON: 200 with the identity and session, and the session cookie (signed in at once)', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  assert.equal(flow.type, 'browser')
  assert.equal(flow.ui.action, `${identity.url}/self-service/registration?flow=${flow.id}`)
  assert.deepEqual(
    flow.ui.nodes.map((n) => [n.group, n.attributes.name, n.attributes.type]),
    [
      ['default', 'csrf_token', 'hidden'],
      ['default', 'traits.email', 'email'],
      ['password', 'password', 'password'],
      ['password', 'method', 'submit'],
    ],
  )
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'bob@example.org' }, password: PASSWORD })
  assert.equal(response.status, 200)
  const body = (await response.json()) as { identity: { id: string; traits: unknown }; session: { identity: { id: string } }; session_token?: string }
  assert.deepEqual(body.identity.traits, { email: 'bob@example.org' })
  assert.equal(body.session.identity.id, body.identity.id)
  assert.equal(body.session_token, undefined, 'browser flows never expose the token')
  assert.ok(jar.get('ory_kratos_session'))
  assert.equal(await whoamiEmail(identity.url, jar), 'bob@example.org')
})

test('an API flow (native app) returns a session_token for X-Session-Token and Authorization: Bearer, and sets no cookie', async (t) => {
  const identity = await startTestIdentity(t)
  const start = await request(`${identity.url}/self-service/registration/api`)
  assert.equal(start.statusCode, 200)
  assert.equal(start.headers['set-cookie'], undefined)
  const flow = (await start.body.json()) as FlowJsonForTests
  assert.equal(flow.type, 'api')
  assert.equal(csrfOf(flow), '')
  const done = await submitApi(flow, { method: 'password', traits: { email: 'carol@example.org' }, password: PASSWORD })
  assert.equal(done.statusCode, 200)
  assert.equal(done.headers['set-cookie'], undefined)
  const body = (await done.body.json()) as { session_token: string; continue_with: unknown[]; identity: { id: string } }
  assert.match(body.session_token, /^ory_st_/)
  assert.deepEqual(body.continue_with[0], { action: 'set_ory_session_token', ory_session_token: body.session_token })
  // The schema verifies traits.email, so a verification flow with a code sent comes next, as in Kratos.
  assert.equal((body.continue_with[1] as { action: string }).action, 'show_verification_ui')
  for (const headers of [{ 'x-session-token': body.session_token }, { authorization: `Bearer ${body.session_token}` }]) {
    const whoami = await request(`${identity.url}/sessions/whoami`, { headers })
    assert.equal(whoami.statusCode, 200)
    assert.equal(((await whoami.body.json()) as { identity: { id: string } }).identity.id, body.identity.id)
  }
})

test('invalid sign-ups are 400 with the flow: the message on the field, the email kept, the password never echoed', async (t) => {
  const identity = await startTestIdentity(t)
  const cases: Array<[string, Record<string, unknown>, string, number, RegExp]> = [
    ['no email', { password: PASSWORD }, 'traits.email', 4000002, /Property email is missing/],
    ['not an email', { traits: { email: 'not-an-email' }, password: PASSWORD }, 'traits.email', 4000001, /"not-an-email" is not valid "email"/],
    ['short password', { traits: { email: 'dan@example.org' }, password: 'short' }, 'password', 4000032, /at least 8 characters long, but got 5/],
    ['password is the email', { traits: { email: 'dan@example.org' }, password: 'DAN@example.org' }, 'password', 4000031, /too similar/],
    ['no password', { traits: { email: 'dan@example.org' } }, 'password', 4000002, /Property password is missing/],
  ]
  for (const [name, fields, field, id, text] of cases) {
    await t.test(name, async () => {
      const jar = new CookieJar()
      const flow = await openFlow(jar, identity.url, 'registration')
      const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), ...fields })
      assert.equal(response.status, 400)
      const failed = (await response.json()) as FlowJsonForTests
      assert.equal(failed.id, flow.id)
      const messages = nodeOf(failed, field).messages
      assert.equal(messages[0]?.id, id)
      assert.match(messages[0]!.text, text)
      assert.equal(nodeOf(failed, 'traits.email').attributes.value, (fields.traits as { email?: string } | undefined)?.email ?? '')
      assert.equal(nodeOf(failed, 'password').attributes.value, undefined)
      assert.equal(jar.get('ory_kratos_session'), undefined)
    })
  }
  await t.test('no method', async () => {
    const jar = new CookieJar()
    const flow = await openFlow(jar, identity.url, 'registration')
    const response = await submitJson(jar, flow, { csrf_token: csrfOf(flow), traits: { email: 'dan@example.org' }, password: PASSWORD })
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4010003)
  })
})

test('a taken email (in any case) is 400 with message 4000007, and no second identity exists', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'erin@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'ERIN@example.org' }, password: 'another password' })
  assert.equal(response.status, 400)
  const failed = (await response.json()) as FlowJsonForTests
  assert.equal(failed.ui.messages?.[0]?.id, 4000007)
  assert.equal(jar.get('ory_kratos_session'), undefined)
  // The first password still works, so the account was not overwritten.
  const login = await openFlow(jar, identity.url, 'login')
  const ok = await submitJson(jar, login, { method: 'password', csrf_token: csrfOf(login), identifier: 'erin@example.org', password: PASSWORD })
  assert.equal(ok.status, 200)
})

test('a browser form with errors goes back to its page (303), and the flow then carries the message', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const response = await submitForm(jar, flow, { csrf_token: csrfOf(flow), 'traits.email': 'x@example.org', password: 'short', method: 'password' })
  assert.equal(response.status, 303)
  assert.equal(response.headers.get('location'), `${identity.url}/ui/registration?flow=${flow.id}`)
  const again = (await (await jar.fetch(`${identity.url}/self-service/registration/flows?id=${flow.id}`)).json()) as FlowJsonForTests
  assert.equal(nodeOf(again, 'password').messages[0]?.id, 4000032)
  assert.equal(nodeOf(again, 'traits.email').attributes.value, 'x@example.org')
})

test('an expired flow: JSON gets 410 naming a fresh flow with message 4040001; a form post lands on the fresh flow', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now, flowLifetimeMs: 60_000 })
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  clock.advance(90_000)
  const json = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'f@example.org' }, password: PASSWORD })
  assert.equal(json.status, 410)
  const gone = (await json.json()) as { error: { id: string; reason: string }; use_flow_id: string; expired_at: string }
  assert.equal(gone.error.id, 'self_service_flow_expired')
  assert.match(gone.error.reason, /expired 0\.50 minutes ago/)
  assert.equal(gone.expired_at, new Date(Date.UTC(2026, 0, 1) + 60_000).toISOString())
  const fresh = (await (await jar.fetch(`${identity.url}/self-service/registration/flows?id=${gone.use_flow_id}`)).json()) as FlowJsonForTests
  assert.equal(fresh.ui.messages?.[0]?.id, 4040001)

  const form = await submitForm(jar, flow, { csrf_token: csrfOf(flow), 'traits.email': 'f@example.org', password: PASSWORD, method: 'password' })
  assert.equal(form.status, 303)
  const location = new URL(form.headers.get('location')!)
  assert.equal(location.pathname, '/ui/registration')
  assert.notEqual(location.searchParams.get('flow'), flow.id)
  assert.equal(jar.get('ory_kratos_session'), undefined, 'nobody was registered')
})

test('a bad anti-CSRF token is 403 security_csrf_violation and registers nobody; a form post shows the 403 error page', async (t) => {
  const identity = await startTestIdentity(t)
  const fields = { method: 'password', traits: { email: 'mallory@example.org' }, password: PASSWORD }
  const victim = new CookieJar()
  const flow = await openFlow(victim, identity.url, 'registration')
  const otherBrowser = new CookieJar()
  await openFlow(otherBrowser, identity.url, 'registration')
  const attempts: Array<[string, CookieJar, Record<string, unknown>]> = [
    ['no anti-CSRF cookie', new CookieJar(), { ...fields, csrf_token: csrfOf(flow) }],
    ['no token', victim, fields],
    ['a forged token', victim, { ...fields, csrf_token: 'A'.repeat(86) }],
    ["another browser's cookie", otherBrowser, { ...fields, csrf_token: csrfOf(flow) }],
  ]
  for (const [name, jar, body] of attempts) {
    const response = await submitJson(jar, flow, body)
    assert.equal(response.status, 403, name)
    const error = (await response.json()) as { error: { id: string; code: number; details: { reject_reason: string } } }
    assert.equal(error.error.id, 'security_csrf_violation', name)
    assert.ok(error.error.details.reject_reason.length > 0)
  }
  const form = await submitForm(new CookieJar(), flow, { csrf_token: csrfOf(flow), 'traits.email': 'mallory@example.org', password: PASSWORD, method: 'password' })
  assert.equal(form.status, 303)
  const errorPage = await fetch(form.headers.get('location')!)
  assert.equal(errorPage.status, 403)
  assert.match(await errorPage.text(), /Cross-Site-Request-Forgery/)
  // The real browser can still use its flow: nothing was registered by the attempts.
  const ok = await submitJson(victim, flow, { ...fields, csrf_token: csrfOf(flow) })
  assert.equal(ok.status, 200)
})

test('an API flow submitted with an Origin or a Cookie header (a browser) is refused with 400', async (t) => {
  const identity = await startTestIdentity(t)
  const flow = await openApiFlow(identity.url, 'registration')
  for (const header of [{ origin: 'https://evil.example' }, { cookie: 'a=b' }] as Record<string, string>[]) {
    const response = await submitApi(flow, { method: 'password', traits: { email: 'g@example.org' }, password: PASSWORD }, header)
    assert.equal(response.statusCode, 400)
    assert.match(((await response.body.json()) as { error: { reason: string } }).error.reason, /comes from a browser/)
  }
})

test('a completed flow cannot be submitted again (4040002)', async (t) => {
  const identity = await startTestIdentity(t)
  const flow = await openApiFlow(identity.url, 'registration')
  const submit = () => submitApi(flow, { method: 'password', traits: { email: 'h@example.org' }, password: PASSWORD })
  assert.equal((await submit()).statusCode, 200)
  const replay = await submit()
  assert.equal(replay.statusCode, 400)
  assert.equal(((await replay.body.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4040002)
})

test('signed in already: JSON gets 400 session_already_available, a browser goes to return_to or the welcome page', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'ivy@example.org', PASSWORD)
  const json = await jar.fetch(`${identity.url}/self-service/registration/browser`, { headers: { accept: 'application/json' } })
  assert.equal(json.status, 400)
  assert.equal(((await json.json()) as { error: { id: string } }).error.id, 'session_already_available')
  const browser = await jar.fetch(`${identity.url}/self-service/registration/browser`)
  assert.equal(browser.status, 303)
  assert.equal(browser.headers.get('location'), `${identity.url}/ui/welcome`)
  const back = await jar.fetch(`${identity.url}/self-service/registration/browser?return_to=${encodeURIComponent(`${identity.url}/home`)}`)
  assert.equal(back.headers.get('location'), `${identity.url}/home`)
})

test('return_to: an allowed URL is where sign-up lands; another origin is refused before any flow starts', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const target = `http://127.0.0.1:3000/dashboard`
  const flow = await openFlow(jar, identity.url, 'registration', 'browser', `?return_to=${encodeURIComponent(target)}`)
  assert.equal(flow.return_to, target)
  const done = await submitForm(jar, flow, { csrf_token: csrfOf(flow), 'traits.email': 'jo@example.org', password: PASSWORD, method: 'password' })
  assert.equal(done.headers.get('location'), target)

  const evil = encodeURIComponent('https://evil.example/steal')
  const refused = await fetch(`${identity.url}/self-service/registration/browser?return_to=${evil}`, { headers: { accept: 'application/json' } })
  assert.equal(refused.status, 400)
  assert.equal(((await refused.json()) as { error: { id: string } }).error.id, 'self_service_flow_return_to_forbidden')
  const navigation = await fetch(`${identity.url}/self-service/registration/browser?return_to=${evil}`, { redirect: 'manual' })
  assert.equal(navigation.status, 303)
  assert.match(navigation.headers.get('location')!, new RegExp(`^${identity.url}/ui/error\\?id=`))
  assert.equal(navigation.headers.getSetCookie().length, 0, 'no flow, no cookie')
})

test('fetching a flow: unknown id 404, without its browser 403, expired 410 with where to restart', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const unknown = await jar.fetch(`${identity.url}/self-service/registration/flows?id=00000000-0000-4000-8000-000000000000`)
  assert.equal(unknown.status, 404)
  assert.equal(((await unknown.json()) as { error: { code: number } }).error.code, 404)
  const stranger = await fetch(`${identity.url}/self-service/registration/flows?id=${flow.id}`)
  assert.equal(stranger.status, 403)
  assert.equal(((await stranger.json()) as { error: { id: string } }).error.id, 'security_csrf_violation')
  const asLogin = await jar.fetch(`${identity.url}/self-service/login/flows?id=${flow.id}`)
  assert.equal(asLogin.status, 404, 'a registration flow is not a login flow')
  clock.advance(2 * 60 * 60 * 1000 - 1)
  const expired = await jar.fetch(`${identity.url}/self-service/registration/flows?id=${flow.id}`)
  assert.equal(expired.status, 410)
  const body = (await expired.json()) as { error: { id: string; details: { redirect_to: string } } }
  assert.equal(body.error.id, 'self_service_flow_expired')
  assert.equal(body.error.details.redirect_to, `${identity.url}/self-service/registration/browser`)
  clock.advance(1)
  assert.equal((await jar.fetch(`${identity.url}/self-service/registration/flows?id=${flow.id}`)).status, 404, 'forgotten after twice its lifetime')
})
