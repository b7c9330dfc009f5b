import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  Configuration,
  CourierApi,
  FrontendApi,
  instanceOfMessage,
  instanceOfRecoveryFlow,
  instanceOfSettingsFlow,
  instanceOfVerificationFlow,
  isNeedsPrivilegedSessionError,
  ResponseError,
  instanceOfIdentity,
  instanceOfLoginFlow,
  instanceOfLogoutFlow,
  instanceOfRegistrationFlow,
  instanceOfSession,
  instanceOfSuccessfulNativeLogin,
  instanceOfSuccessfulNativeRegistration,
  instanceOfUiNode,
  instanceOfUiNodeInputAttributes,
  instanceOfUiText,
  isNoActiveSession,
  isUiNodeInputAttributes,
  type LoginFlow,
  type RegistrationFlow,
  type UiNode,
} from '@ory/client-fetch'
import type { IdentityServerHandle } from '../../src/identity/server.js'
import { CookieJar, startProxiedIdentity, startTestIdentity, testClock } from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

/** Every model check the SDK itself offers for a flow's UI: nodes, their attributes, texts and labels. */
function assertUiModels(flow: RegistrationFlow | LoginFlow): void {
  assert.ok(flow.ui.nodes.length > 0)
  for (const node of flow.ui.nodes) {
    assert.ok(instanceOfUiNode(node), JSON.stringify(node))
    assert.ok(isUiNodeInputAttributes(node.attributes) && instanceOfUiNodeInputAttributes(node.attributes))
    for (const text of [...node.messages, ...(node.meta.label === undefined ? [] : [node.meta.label])]) assert.ok(instanceOfUiText(text))
  }
  for (const text of flow.ui.messages ?? []) assert.ok(instanceOfUiText(text))
  assert.ok(flow.expires_at instanceof Date && !Number.isNaN(flow.expires_at.getTime()))
  assert.ok(flow.issued_at instanceof Date && !Number.isNaN(flow.issued_at.getTime()))
}

function csrfToken(nodes: UiNode[]): string {
  const node = nodes.find((n) => isUiNodeInputAttributes(n.attributes) && n.attributes.name === 'csrf_token')
  assert.ok(node && isUiNodeInputAttributes(node.attributes))
  return String(node.attributes.value)
}

async function errorBody(promise: Promise<unknown>, status: number): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof ResponseError, String(error))
    assert.equal(error.response.status, status)
    return error.response.json()
  }
  assert.fail(`expected an HTTP ${status}`)
}

test("Ory's FrontendApi (@ory/client-fetch) signs up, reads the session, logs out and logs in through <proxy>/.ory", async (t) => {
  const { identity, publish } = await startProxiedIdentity(t)
  const jar = new CookieJar()
  const bodies: string[] = []
  const ory = new FrontendApi(
    new Configuration({
      basePath: `${publish}/.ory`,
      fetchApi: jar.fetch,
      // What a browser SPA sends, so Ory answers JSON instead of redirects.
      headers: { Accept: 'application/json' },
      middleware: [{ post: async ({ response }) => void bodies.push(await response.clone().text()) }],
    }),
  )

  const registration = await ory.createBrowserRegistrationFlow()
  assert.ok(instanceOfRegistrationFlow(registration))
  assertUiModels(registration)
  assert.equal(registration.ui.action, `${publish}/.ory/self-service/registration?flow=${registration.id}`)
  assert.equal(registration.request_url, `${publish}/.ory/self-service/registration/browser`)
  const registered = await ory.updateRegistrationFlow({
    flow: registration.id,
    updateRegistrationFlowBody: { method: 'password', csrf_token: csrfToken(registration.ui.nodes), traits: { email: 'sdk@example.org' }, password: PASSWORD },
  })
  assert.ok(instanceOfSuccessfulNativeRegistration(registered))
  assert.ok(instanceOfIdentity(registered.identity))
  assert.ok(registered.session !== undefined && instanceOfSession(registered.session))

  const session = await ory.toSession()
  assert.ok(instanceOfSession(session))
  assert.equal(session.active, true)
  assert.equal(session.identity?.traits.email, 'sdk@example.org')
  assert.equal(session.authenticator_assurance_level, 'aal1')
  assert.equal(session.authentication_methods?.[0]?.method, 'password')
  assert.ok(session.expires_at instanceof Date && session.expires_at.getTime() > Date.now())
  assert.equal(session.identity?.schema_url, `${publish}/.ory/schemas/ZGVmYXVsdA`)

  const logout = await ory.createBrowserLogoutFlow()
  assert.ok(instanceOfLogoutFlow(logout))
  assert.equal(logout.logout_url, `${publish}/.ory/self-service/logout?token=${logout.logout_token}`)
  await ory.updateLogoutFlow({ token: logout.logout_token })
  assert.ok(isNoActiveSession(await errorBody(ory.toSession(), 401)))

  const login = await ory.createBrowserLoginFlow()
  assert.ok(instanceOfLoginFlow(login))
  assertUiModels(login)
  const wrong = (await errorBody(
    ory.updateLoginFlow({
      flow: login.id,
      updateLoginFlowBody: { method: 'password', csrf_token: csrfToken(login.ui.nodes), identifier: 'sdk@example.org', password: 'wrong password' },
    }),
    400,
  )) as LoginFlow
  assert.equal(wrong.ui.messages?.[0]?.id, 4000006)
  const fetched = await ory.getLoginFlow({ id: login.id })
  assert.equal(fetched.ui.messages?.[0]?.id, 4000006)
  const loggedIn = await ory.updateLoginFlow({
    flow: login.id,
    updateLoginFlowBody: { method: 'password', csrf_token: csrfToken(fetched.ui.nodes), identifier: 'sdk@example.org', password: PASSWORD },
  })
  assert.ok(instanceOfSuccessfulNativeLogin(loggedIn))
  assert.equal((await ory.toSession()).identity?.traits.email, 'sdk@example.org')

  // The rewrite path ran on every answer: the identity server's own origin never reached the client.
  assert.ok(bodies.length >= 9)
  for (const body of bodies) assert.ok(!body.includes(identity.url), body)
})

/** Ory's SDK as an SPA uses it: only `basePath` and `Accept: application/json` set. */
function frontend(basePath: string, jar: CookieJar): FrontendApi {
  return new FrontendApi(new Configuration({ basePath, fetchApi: jar.fetch, headers: { Accept: 'application/json' } }))
}

/** The newest code for `recipient`, through `CourierApi.listCourierMessages` on the admin listener. */
async function courierCode(identity: IdentityServerHandle, recipient: string): Promise<string> {
  const courier = new CourierApi(new Configuration({ basePath: identity.adminUrl, accessToken: identity.adminToken, headers: { Accept: 'application/json' } }))
  const messages = await courier.listCourierMessages({ recipient })
  assert.ok(messages.length > 0 && messages.every((m) => instanceOfMessage(m)))
  return /\b(\d{6})\b/.exec(messages[0]!.body)![1]!
}

/**
 * Settings, the privileged window, recovery and verification, all through Ory's SDK: the same
 * calls a Kratos-backed app makes, against `basePath` (the proxy's `/.ory` or the server itself).
 */
async function settingsRecoveryVerification(basePath: string, identity: IdentityServerHandle, clock: ReturnType<typeof testClock>): Promise<void> {
  const jar = new CookieJar()
  const ory = frontend(basePath, jar)
  const email = 'journey@example.org'
  const registration = await ory.createBrowserRegistrationFlow()
  const registered = await ory.updateRegistrationFlow({
    flow: registration.id,
    updateRegistrationFlowBody: { method: 'password', csrf_token: csrfToken(registration.ui.nodes), traits: { email }, password: PASSWORD },
  })
  const verificationId = registered.continue_with?.find((c) => c.action === 'show_verification_ui')
  assert.ok(verificationId?.action === 'show_verification_ui')

  // Verification: the code from the courier marks the address verified.
  const verification = await ory.getVerificationFlow({ id: verificationId.flow.id })
  assert.ok(instanceOfVerificationFlow(verification))
  const verified = await ory.updateVerificationFlow({
    flow: verification.id,
    updateVerificationFlowBody: { method: 'code', code: await courierCode(identity, email), csrf_token: csrfToken(verification.ui.nodes) },
  })
  assert.equal(verified.state, 'passed_challenge')
  assert.equal((await ory.toSession()).identity?.verifiable_addresses?.[0]?.verified, true)

  // Settings in the privileged window.
  const settings = await ory.createBrowserSettingsFlow()
  assert.ok(instanceOfSettingsFlow(settings))
  const saved = await ory.updateSettingsFlow({
    flow: settings.id,
    updateSettingsFlowBody: { method: 'password', csrf_token: csrfToken(settings.ui.nodes), password: 'second password here' },
  })
  assert.equal(saved.state, 'success')

  // Outside it: session_refresh_required, a refresh login, then the change goes through.
  clock.advance(15 * 60 * 1000)
  const stale = await errorBody(
    ory.updateSettingsFlow({ flow: settings.id, updateSettingsFlowBody: { method: 'password', csrf_token: csrfToken(settings.ui.nodes), password: 'third password here' } }),
    403,
  )
  assert.ok(isNeedsPrivilegedSessionError(stale))
  const returnTo = new URL((stale as { redirect_browser_to: string }).redirect_browser_to).searchParams.get('return_to')!
  const refresh = await ory.createBrowserLoginFlow({ refresh: true, returnTo })
  assert.equal(refresh.refresh, true)
  await ory.updateLoginFlow({ flow: refresh.id, updateLoginFlowBody: { method: 'password', csrf_token: csrfToken(refresh.ui.nodes), identifier: email, password: 'second password here' } })
  const again = await ory.updateSettingsFlow({
    flow: settings.id,
    updateSettingsFlowBody: { method: 'password', csrf_token: csrfToken(settings.ui.nodes), password: 'third password here' },
  })
  assert.equal(again.state, 'success')

  // Recovery, signed out: a wrong code, then the right one signs in and leads to settings.
  const logout = await ory.createBrowserLogoutFlow()
  await ory.updateLogoutFlow({ token: logout.logout_token })
  const recovery = await ory.createBrowserRecoveryFlow()
  assert.ok(instanceOfRecoveryFlow(recovery))
  const sent = await ory.updateRecoveryFlow({ flow: recovery.id, updateRecoveryFlowBody: { method: 'code', email, csrf_token: csrfToken(recovery.ui.nodes) } })
  assert.equal(sent.state, 'sent_email')
  const code = await courierCode(identity, email)
  const wrong = await ory.updateRecoveryFlow({
    flow: recovery.id,
    updateRecoveryFlowBody: { method: 'code', code: code === '000000' ? '111111' : '000000', csrf_token: csrfToken(sent.ui.nodes) },
  })
  assert.equal(wrong.ui.messages?.[0]?.id, 4060006)
  const recovered = await ory.updateRecoveryFlow({ flow: recovery.id, updateRecoveryFlowBody: { method: 'code', code, csrf_token: csrfToken(sent.ui.nodes) } })
  assert.equal(recovered.state, 'passed_challenge')
  const next = recovered.continue_with?.find((c) => c.action === 'show_settings_ui')
  assert.ok(next?.action === 'show_settings_ui')
  assert.ok(next.flow.url?.startsWith(`${basePath}/ui/settings?flow=`), next.flow.url)
  const afterRecovery = await ory.getSettingsFlow({ id: next.flow.id })
  assert.equal(afterRecovery.ui.messages?.[0]?.id, 1060001)
  const reset = await ory.updateSettingsFlow({
    flow: afterRecovery.id,
    updateSettingsFlowBody: { method: 'password', csrf_token: csrfToken(afterRecovery.ui.nodes), password: 'recovered password' },
  })
  assert.equal(reset.state, 'success')
  assert.equal((await ory.toSession()).authentication_methods?.[0]?.method, 'code_recovery')
}

test("Ory's FrontendApi and CourierApi (@ory/client-fetch) complete settings, the privileged window, recovery and verification through <proxy>/.ory", async (t) => {
  const clock = testClock(Date.now())
  const { identity, publish } = await startProxiedIdentity(t, { identity: { now: clock.now } })
  await settingsRecoveryVerification(`${publish}/.ory`, identity, clock)
})

test("Ory's FrontendApi and CourierApi complete the same flows against ory-proxy's identity server alone", async (t) => {
  const clock = testClock(Date.now())
  const identity = await startTestIdentity(t, { now: clock.now })
  await settingsRecoveryVerification(identity.url, identity, clock)
})
