import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import {
  CookieJar,
  csrfOf,
  latestCode,
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

interface Continued extends FlowJsonForTests {
  readonly continue_with?: Array<{ action: string; ory_session_token?: string; flow?: { id: string; url: string } }>
}

/** Starts a recovery flow in a fresh browser and asks for a code for `email`. */
async function requestCode(origin: string, email: string, jar = new CookieJar()): Promise<{ jar: CookieJar; flow: FlowJsonForTests }> {
  const flow = await openFlow(jar, origin, 'recovery')
  const sent = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email })
  assert.equal(sent.status, 200)
  return { jar, flow: (await sent.json()) as FlowJsonForTests }
}

test('recovery by code: the form asks for the email, a 6-digit code goes to the outbox, the code signs in and continues to settings', async (t) => {
  const lines: string[] = []
  const identity = await startTestIdentity(t, { announce: (line) => lines.push(line) })
  await registerUser(identity.url, 'lost@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'recovery')
  assert.equal(flow.state, 'choose_method')
  assert.deepEqual(
    flow.ui.nodes.map((n) => [n.group, n.attributes.name, n.attributes.type]),
    [
      ['default', 'csrf_token', 'hidden'],
      ['code', 'email', 'email'],
      ['code', 'method', 'submit'],
    ],
  )
  const sentResponse = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email: 'Lost@Example.org' })
  assert.equal(sentResponse.status, 200)
  const sent = (await sentResponse.json()) as FlowJsonForTests
  assert.equal(sent.state, 'sent_email')
  assert.deepEqual(sent.ui.messages?.map((m) => m.id), [1060003])
  assert.deepEqual(nodeOf(sent, 'code').attributes, {
    name: 'code',
    type: 'text',
    required: true,
    autocomplete: 'one-time-code',
    pattern: '[0-9]+',
    maxlength: 6,
    disabled: false,
    node_type: 'input',
  })
  const code = await latestCode(identity, 'lost@example.org')
  assert.match(code, /^\d{6}$/)
  assert.ok(lines.some((line) => line === `courier: recovery code for lost@example.org: ${code}`), lines.join('\n'))

  const done = await submitJson(jar, sent, { method: 'code', csrf_token: csrfOf(sent), code })
  assert.equal(done.status, 200)
  const recovered = (await done.json()) as Continued
  assert.equal(recovered.state, 'passed_challenge')
  const next = recovered.continue_with?.find((c) => c.action === 'show_settings_ui')
  assert.ok(next?.flow, JSON.stringify(recovered.continue_with))
  assert.equal(next.flow.url, `${identity.url}/ui/settings?flow=${next.flow.id}`)
  // Signed in by the code, with Kratos' method name, and sent on to a settings flow that says why.
  const whoami = (await (await jar.fetch(`${identity.url}/sessions/whoami`)).json()) as {
    authentication_methods: Array<{ method: string }>
    identity: { verifiable_addresses: Array<{ verified: boolean }> }
  }
  assert.equal(whoami.authentication_methods[0]?.method, 'code_recovery')
  assert.equal(whoami.identity.verifiable_addresses[0]?.verified, true, 'the code proved the address')
  const settings = (await (await jar.fetch(`${identity.url}/self-service/settings/flows?id=${next.flow.id}`)).json()) as FlowJsonForTests
  assert.equal(settings.ui.messages?.[0]?.id, 1060001)
  assert.match(settings.ui.messages![0]!.text, /within the next 15\.00 minutes/)
  // The privileged window lets the recovered person set a new password at once.
  const changed = await submitJson(jar, settings, { method: 'password', csrf_token: csrfOf(settings), password: 'a brand new password' })
  assert.equal(changed.status, 200)
  const replay = await submitJson(jar, sent, { method: 'code', csrf_token: csrfOf(sent), code })
  assert.equal(((await replay.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4060001, 'a used flow cannot be replayed')
})

test('recovery by browser form: 303s to the code page, then to the settings page with the session cookie', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'form@example.org', PASSWORD)
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'recovery')
  const sent = await submitForm(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email: 'form@example.org' })
  assert.equal(sent.status, 303)
  assert.equal(sent.headers.get('location'), `${identity.url}/ui/recovery?flow=${flow.id}`)
  const page = await (await jar.fetch(sent.headers.get('location')!)).text()
  assert.match(page, /data-message-id="1060003"/)
  assert.match(page, /<label for="field-code">Recovery code<\/label>/)
  const done = await submitForm(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: await latestCode(identity, 'form@example.org') })
  assert.equal(done.status, 303)
  assert.match(done.headers.get('location')!, new RegExp(`^${identity.url}/ui/settings\\?flow=`))
  assert.ok(jar.get('ory_kratos_session'))
  assert.equal((await jar.fetch(done.headers.get('location')!)).status, 200)
})

test('recovery as a native app: the code gives a session_token and a settings flow for it', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'app@example.org', PASSWORD)
  const flow = await openApiFlow(identity.url, 'recovery')
  assert.equal((await submitApi(flow, { method: 'code', email: 'app@example.org' })).statusCode, 200)
  const done = await submitApi(flow, { method: 'code', code: await latestCode(identity, 'app@example.org') })
  assert.equal(done.statusCode, 200)
  const body = (await done.body.json()) as Continued
  const token = body.continue_with?.find((c) => c.action === 'set_ory_session_token')?.ory_session_token
  assert.ok(token)
  const settingsId = body.continue_with?.find((c) => c.action === 'show_settings_ui')?.flow?.id
  const settings = await request(`${identity.url}/self-service/settings/flows?id=${settingsId}`, { headers: { 'x-session-token': token } })
  assert.equal(settings.statusCode, 200)
  assert.equal(((await settings.body.json()) as FlowJsonForTests).type, 'api')
})

test('a wrong code is answered with the flow (200) and message 4060006; the sixth submission is refused even with the right code, with a fresh flow', async (t) => {
  const identity = await startTestIdentity(t)
  await registerUser(identity.url, 'brute@example.org', PASSWORD)
  const { jar, flow } = await requestCode(identity.url, 'brute@example.org')
  const code = await latestCode(identity, 'brute@example.org')
  const wrong = code === '000000' ? '111111' : '000000'
  for (let attempt = 1; attempt <= 5; attempt++) {
    const response = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: wrong })
    assert.equal(response.status, 200, `attempt ${attempt}`)
    const body = (await response.json()) as FlowJsonForTests
    assert.deepEqual(body.ui.messages?.map((m) => [m.id, m.text]), [[4060006, 'The recovery code is invalid or has already been used. Please try again.']])
    assert.equal(body.state, 'sent_email')
  }
  const sixth = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code })
  assert.equal(sixth.status, 400)
  const refused = (await sixth.json()) as { error: { reason: string }; continue_with: Array<{ action: string; flow: { id: string } }> }
  assert.equal(refused.error.reason, 'The request was submitted too often. Please request another code.')
  assert.equal(refused.continue_with[0]?.action, 'show_recovery_ui')
  const fresh = (await (await jar.fetch(`${identity.url}/self-service/recovery/flows?id=${refused.continue_with[0]!.flow.id}`)).json()) as FlowJsonForTests
  assert.equal(fresh.state, 'choose_method')
  assert.equal(fresh.ui.messages?.[0]?.id, 4000001)
  assert.equal(jar.get('ory_kratos_session'), undefined, 'nobody was signed in')
  // Resending on the spent flow does not restore its attempts.
  await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email: 'brute@example.org' })
  const again = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: await latestCode(identity, 'brute@example.org') })
  assert.equal(again.status, 400)
})

test('an expired code moves to a fresh flow with 4060005 (410 with use_flow_id); a resent code replaces the first', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  await registerUser(identity.url, 'late@example.org', PASSWORD)
  const { jar, flow } = await requestCode(identity.url, 'late@example.org')
  const first = await latestCode(identity, 'late@example.org')
  clock.advance(15 * 60 * 1000)
  const late = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: first })
  assert.equal(late.status, 410)
  const gone = (await late.json()) as { error: { id: string }; use_flow_id: string }
  assert.equal(gone.error.id, 'self_service_flow_expired')
  const fresh = (await (await jar.fetch(`${identity.url}/self-service/recovery/flows?id=${gone.use_flow_id}`)).json()) as FlowJsonForTests
  assert.equal(fresh.ui.messages?.[0]?.id, 4060005)
  assert.match(fresh.ui.messages![0]!.text, /^The recovery flow expired 0\.00 minutes ago, please try again\.$/)

  const { flow: second } = await requestCode(identity.url, 'late@example.org', jar)
  const old = await latestCode(identity, 'late@example.org')
  await submitJson(jar, second, { method: 'code', csrf_token: csrfOf(second), email: 'late@example.org' })
  const resent = await latestCode(identity, 'late@example.org')
  if (resent !== old) {
    const stale = await submitJson(jar, second, { method: 'code', csrf_token: csrfOf(second), code: old })
    assert.equal(((await stale.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4060006, 'the first code no longer works')
  }
  assert.equal((await submitJson(jar, second, { method: 'code', csrf_token: csrfOf(second), code: resent })).status, 200)
})

test('an unknown address gets the same answer and no message; bad input stays on the form', async (t) => {
  const identity = await startTestIdentity(t)
  const { jar, flow } = await requestCode(identity.url, 'nobody@example.org')
  assert.equal(flow.state, 'sent_email')
  assert.deepEqual(flow.ui.messages?.map((m) => m.id), [1060003])
  const list = await fetch(`${identity.adminUrl}/admin/courier/messages`, { headers: { authorization: `Bearer ${identity.adminToken}` } })
  assert.deepEqual(await list.json(), [])
  const guess = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: '123456' })
  assert.equal(((await guess.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4060006)

  const other = await openFlow(jar, identity.url, 'recovery')
  for (const [email, id] of [['', 4000002], ['not an email', 4000001]] as const) {
    const response = await submitJson(jar, other, { method: 'code', csrf_token: csrfOf(other), email })
    assert.equal(response.status, 400)
    assert.equal(nodeOf((await response.json()) as FlowJsonForTests, 'email').messages[0]?.id, id)
  }
  const noMethod = await submitJson(jar, other, { method: 'link', csrf_token: csrfOf(other), email: 'x@example.org' })
  assert.equal(((await noMethod.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4010005)
})

test('recovery is for people who are signed out: signed in, it is 400 session_already_available', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'in@example.org', PASSWORD)
  const response = await jar.fetch(`${identity.url}/self-service/recovery/browser`, { headers: { accept: 'application/json' } })
  assert.equal(response.status, 400)
  assert.equal(((await response.json()) as { error: { id: string } }).error.id, 'session_already_available')
})
