import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  Configuration,
  FrontendApi,
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
import { CookieJar, startProxiedIdentity } from '../helpers/identity.js'

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
