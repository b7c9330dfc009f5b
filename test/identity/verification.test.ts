import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUpstream } from '../../src/config.js'
import { silentLogger } from '../../src/logger.js'
import { OrySessionGate } from '../../src/session/gate.js'
import { generateSigningKey } from '../../src/session/keys.js'
import {
  CookieJar,
  csrfOf,
  latestCode,
  openApiFlow,
  openFlow,
  registerUser,
  startPublishedProxy,
  startTestIdentity,
  submitApi,
  submitForm,
  submitJson,
  testClock,
  type FlowJsonForTests,
} from '../helpers/identity.js'
import { startJwtApp, type AppView } from '../helpers/jwt-app.js'

const PASSWORD = 'correct horse battery'

interface Address {
  readonly value: string
  readonly verified: boolean
  readonly status: string
  readonly verified_at?: string
}

async function addresses(jar: CookieJar, origin: string): Promise<Address[]> {
  const whoami = (await (await jar.fetch(`${origin}/sessions/whoami`)).json()) as { identity: { verifiable_addresses: Address[] } }
  return whoami.identity.verifiable_addresses
}

test('registration sends a verification code (the schema verifies traits.email) and names the flow in continue_with; the code verifies the address', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const registration = await openFlow(jar, identity.url, 'registration')
  const response = await submitJson(jar, registration, { method: 'password', csrf_token: csrfOf(registration), traits: { email: 'New@Example.org' }, password: PASSWORD })
  const body = (await response.json()) as { continue_with: Array<{ action: string; flow: { id: string; verifiable_address: string; url: string } }> }
  const next = body.continue_with.find((c) => c.action === 'show_verification_ui')
  assert.ok(next)
  assert.equal(next.flow.verifiable_address, 'new@example.org')
  assert.equal(next.flow.url, `${identity.url}/ui/verification?flow=${next.flow.id}`)
  assert.deepEqual(
    (await addresses(jar, identity.url)).map((a) => [a.value, a.verified, a.status]),
    [['new@example.org', false, 'pending']],
  )

  const flow = (await (await jar.fetch(`${identity.url}/self-service/verification/flows?id=${next.flow.id}`)).json()) as FlowJsonForTests
  assert.equal(flow.state, 'sent_email')
  assert.deepEqual(flow.ui.messages?.map((m) => m.id), [1080003])
  const done = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: await latestCode(identity, 'new@example.org') })
  assert.equal(done.status, 200)
  const verified = (await done.json()) as FlowJsonForTests
  assert.equal(verified.state, 'passed_challenge')
  assert.deepEqual(verified.ui.messages?.map((m) => [m.id, m.text]), [[1080002, 'You successfully verified your email address.']])
  const [address] = await addresses(jar, identity.url)
  assert.equal(address?.verified, true)
  assert.equal(address?.status, 'completed')
  assert.ok(address?.verified_at)
})

test('a verification flow started by hand: email, then the code; by form it stays on its page', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = await registerUser(identity.url, 'hand@example.org', PASSWORD)
  const flow = await openFlow(jar, identity.url, 'verification')
  assert.equal(flow.state, 'choose_method')
  const sent = await submitForm(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email: 'hand@example.org' })
  assert.equal(sent.status, 303)
  assert.equal(sent.headers.get('location'), `${identity.url}/ui/verification?flow=${flow.id}`)
  assert.match(await (await jar.fetch(sent.headers.get('location')!)).text(), /Verification code/)
  const done = await submitForm(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: await latestCode(identity, 'hand@example.org') })
  assert.equal(done.status, 303)
  assert.match(await (await jar.fetch(done.headers.get('location')!)).text(), /data-message-id="1080002"/)
  assert.equal((await addresses(jar, identity.url))[0]?.verified, true)
})

test('verification failures: a wrong code 4070006, an expired code 4070005, the sixth try refused', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const flow = await openApiFlow(identity.url, 'verification')
  await registerUser(identity.url, 'v@example.org', PASSWORD)
  assert.equal((await submitApi(flow, { method: 'code', email: 'v@example.org' })).statusCode, 200)
  const code = await latestCode(identity, 'v@example.org')
  const wrong = await submitApi(flow, { method: 'code', code: code === '999999' ? '000000' : '999999' })
  assert.equal(wrong.statusCode, 200)
  assert.equal(((await wrong.body.json()) as FlowJsonForTests).ui.messages?.[0]?.id, 4070006)

  clock.advance(15 * 60 * 1000 + 1)
  const late = await submitApi(flow, { method: 'code', code })
  assert.equal(late.statusCode, 410)
  const { use_flow_id } = (await late.body.json()) as { use_flow_id: string }
  const fresh = (await (await fetch(`${identity.url}/self-service/verification/flows?id=${use_flow_id}`)).json()) as FlowJsonForTests
  assert.equal(fresh.ui.messages?.[0]?.id, 4070005)

  const other = await openApiFlow(identity.url, 'verification')
  await submitApi(other, { method: 'code', email: 'v@example.org' })
  for (let attempt = 0; attempt < 5; attempt++) await (await submitApi(other, { method: 'code', code: '12345x' })).body.dump()
  const sixth = await submitApi(other, { method: 'code', code: await latestCode(identity, 'v@example.org') })
  assert.equal(sixth.statusCode, 400)
  assert.equal(((await sixth.body.json()) as { continue_with: Array<{ action: string }> }).continue_with[0]?.action, 'show_verification_ui')
})

test("through the proxy, the verified address reaches the app in the JWT's session claim", async (t) => {
  const identity = await startTestIdentity(t)
  const app = await startJwtApp(t)
  const gate = new OrySessionGate(parseUpstream(identity.url, 'ory'), { key: generateSigningKey(), logger: silentLogger, cacheTtlMs: 0 })
  const { publish } = await startPublishedProxy(t, app.url, identity.url, {}, { gate })
  app.useProxy(publish, identity.url)
  const ory = `${publish}/.ory`
  const jar = await registerUser(ory, 'jwt-verified@example.org', PASSWORD)
  const claimed = async () => {
    const view = (await (await jar.fetch(`${publish}/dashboard`)).json()) as AppView
    return (view.claims?.session as { identity: { verifiable_addresses: Address[] } }).identity.verifiable_addresses[0]?.verified
  }
  assert.equal(await claimed(), false)
  const flow = await openFlow(jar, ory, 'verification')
  await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), email: 'jwt-verified@example.org' })
  const done = await submitJson(jar, flow, { method: 'code', csrf_token: csrfOf(flow), code: await latestCode(identity, 'jwt-verified@example.org') })
  assert.equal(done.status, 200)
  assert.equal(await claimed(), true)
})
