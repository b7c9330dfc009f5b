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
const FIFTEEN_MINUTES = 15 * 60 * 1000

async function logIn(origin: string, email: string, password: string): Promise<number> {
  const jar = new CookieJar()
  const flow = await openFlow(jar, origin, 'login')
  return (await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier: email, password })).status
}

test('settings: the flow shows the traits (profile) and a password form; a new password works at the next login', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'set@example.org', PASSWORD)
  const flow = (await openFlow(jar, identity.url, 'settings')) as FlowJsonForTests & { identity: { traits: unknown } }
  assert.equal(flow.state, 'show_form')
  assert.deepEqual(flow.identity.traits, { email: 'set@example.org' })
  assert.deepEqual(
    flow.ui.nodes.map((n) => [n.group, n.attributes.name, n.attributes.type, n.attributes.value]),
    [
      ['default', 'csrf_token', 'hidden', csrfOf(flow)],
      ['profile', 'traits.email', 'email', 'set@example.org'],
      ['profile', 'method', 'submit', 'profile'],
      ['password', 'password', 'password', undefined],
      ['password', 'method', 'submit', 'password'],
    ],
  )
  const changed = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'another good password' })
  assert.equal(changed.status, 200)
  const saved = (await changed.json()) as FlowJsonForTests
  assert.equal(saved.state, 'success')
  assert.deepEqual(saved.ui.messages?.map((m) => [m.id, m.type]), [[1050001, 'success']])
  assert.equal(await logIn(identity.url, 'set@example.org', 'another good password'), 200)
  assert.equal(await logIn(identity.url, 'set@example.org', PASSWORD), 400)

  const short = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'short' })
  assert.equal(short.status, 400)
  assert.equal(nodeOf((await short.json()) as FlowJsonForTests, 'password').messages[0]?.id, 4000032)
})

test('outside the privileged window (15 min after login) a password change is 403 session_refresh_required; a refresh login brings the person back', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const jar = await registerUser(identity.url, 'old@example.org', PASSWORD)
  clock.advance(FIFTEEN_MINUTES)
  const flow = await openFlow(jar, identity.url, 'settings')
  const refused = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'a newer password' })
  assert.equal(refused.status, 403)
  const body = (await refused.json()) as { error: { id: string; code: number; reason: string }; redirect_browser_to: string }
  assert.equal(body.error.id, 'session_refresh_required')
  assert.equal(body.error.reason, 'The login session is too old and thus not allowed to update these fields. Please re-authenticate.')
  const settingsPage = `${identity.url}/ui/settings?flow=${flow.id}`
  assert.equal(body.redirect_browser_to, `${identity.url}/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(settingsPage)}`)
  // A browser form is sent straight there.
  const form = await submitForm(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'a newer password' })
  assert.equal(form.status, 303)
  assert.equal(form.headers.get('location'), body.redirect_browser_to)

  const login = await jar.fetch(body.redirect_browser_to, { headers: { accept: 'application/json' } })
  const refresh = (await login.json()) as FlowJsonForTests & { refresh: boolean }
  assert.equal(refresh.refresh, true)
  assert.deepEqual(refresh.ui.messages?.map((m) => m.id), [1010003])
  const back = await submitForm(jar, refresh, { method: 'password', csrf_token: csrfOf(refresh), identifier: 'old@example.org', password: PASSWORD })
  assert.equal(back.status, 303)
  assert.equal(back.headers.get('location'), settingsPage)
  assert.equal((await jar.fetch(settingsPage)).status, 200)
  const now = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'a newer password' })
  assert.equal(now.status, 200)
})

test('profile: other traits change any time; the identifier only in the privileged window; schema violations stay on the field', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const jar = await registerUser(identity.url, 'me@example.org', PASSWORD)
  await registerUser(identity.url, 'taken@example.org', PASSWORD)
  const flow = await openFlow(jar, identity.url, 'settings')
  const invalid = await submitJson(jar, flow, { method: 'profile', csrf_token: csrfOf(flow), traits: { email: 'nope' } })
  assert.equal(invalid.status, 400)
  const failed = (await invalid.json()) as FlowJsonForTests
  assert.equal(nodeOf(failed, 'traits.email').messages[0]?.id, 4000001)
  assert.equal(nodeOf(failed, 'traits.email').attributes.value, 'nope')
  const duplicate = await submitJson(jar, flow, { method: 'profile', csrf_token: csrfOf(flow), traits: { email: 'TAKEN@example.org' } })
  assert.equal(((await duplicate.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4000007)

  const moved = await submitJson(jar, flow, { method: 'profile', csrf_token: csrfOf(flow), traits: { email: 'moved@example.org' } })
  assert.equal(moved.status, 200)
  const body = (await moved.json()) as { identity: { traits: unknown }; continue_with?: Array<{ action: string }> }
  assert.deepEqual(body.identity.traits, { email: 'moved@example.org' })
  assert.equal(body.continue_with?.[0]?.action, 'show_verification_ui', 'the new address gets a verification code')
  assert.equal(await logIn(identity.url, 'moved@example.org', PASSWORD), 200)
  assert.equal(await logIn(identity.url, 'me@example.org', PASSWORD), 400)

  clock.advance(FIFTEEN_MINUTES)
  const late = await submitJson(jar, flow, { method: 'profile', csrf_token: csrfOf(flow), traits: { email: 'again@example.org' } })
  assert.equal(late.status, 403)
  assert.equal(((await late.json()) as { error: { id: string } }).error.id, 'session_refresh_required')
  const same = await submitJson(jar, flow, { method: 'profile', csrf_token: csrfOf(flow), traits: { email: 'moved@example.org' } })
  assert.equal(same.status, 200, 'saving unchanged identifiers needs no refresh')
})

test('settings need a session of their own person: none is 401 (a browser is sent to log in), another person is 403', async (t) => {
  const identity = await startTestIdentity(t)
  const anonymous = await fetch(`${identity.url}/self-service/settings/browser`, { headers: { accept: 'application/json' } })
  assert.equal(anonymous.status, 401)
  assert.equal(((await anonymous.json()) as { error: { id: string } }).error.id, 'session_inactive')
  const navigation = await fetch(`${identity.url}/self-service/settings/browser`, { redirect: 'manual' })
  assert.equal(navigation.status, 303)
  assert.equal(navigation.headers.get('location'), `${identity.url}/self-service/login/browser?return_to=${encodeURIComponent(`${identity.url}/self-service/settings/browser`)}`)

  const alice = await registerUser(identity.url, 'alice@example.org', PASSWORD)
  const flow = await openFlow(alice, identity.url, 'settings')
  const mallory = await registerUser(identity.url, 'mallory@example.org', PASSWORD)
  // Mallory's session with Alice's anti-CSRF cookie and token: the flow is still not hers.
  const jar = new CookieJar()
  jar.store([`ory_kratos_session=${mallory.get('ory_kratos_session')}`, ...alice.names().filter((n) => n.startsWith('csrf_token_')).map((n) => `${n}=${alice.get(n)}`)])
  const stolen = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), password: 'mallory was here' })
  assert.equal(stolen.status, 403)
  assert.equal(((await stolen.json()) as { error: { id: string } }).error.id, 'security_identity_mismatch')
  assert.equal((await jar.fetch(`${identity.url}/self-service/settings/flows?id=${flow.id}`)).status, 403)
  assert.equal(await logIn(identity.url, 'alice@example.org', PASSWORD), 200)
})

test('settings as a native app, with X-Session-Token', async (t) => {
  const identity = await startTestIdentity(t)
  const registered = await submitApi(await openApiFlow(identity.url, 'registration'), { method: 'password', traits: { email: 'app@example.org' }, password: PASSWORD })
  const { session_token: token } = (await registered.body.json()) as { session_token: string }
  assert.equal((await request(`${identity.url}/self-service/settings/api`)).statusCode, 401)
  const start = await request(`${identity.url}/self-service/settings/api`, { headers: { 'x-session-token': token } })
  assert.equal(start.statusCode, 200)
  const flow = (await start.body.json()) as FlowJsonForTests
  assert.equal(flow.type, 'api')
  const done = await submitApi(flow, { method: 'password', password: 'native new password' }, { 'x-session-token': token })
  assert.equal(done.statusCode, 200)
  assert.equal(await logIn(identity.url, 'app@example.org', 'native new password'), 200)
})
