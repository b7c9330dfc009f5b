import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUpstream } from '../../src/config.js'
import { silentLogger } from '../../src/logger.js'
import { OrySessionGate } from '../../src/session/gate.js'
import { generateSigningKey } from '../../src/session/keys.js'
import { CookieJar, registerUser, startPublishedProxy, startTestIdentity } from '../helpers/identity.js'
import { startJwtApp, type AppView } from '../helpers/jwt-app.js'

test('signed in at the built-in identity server, the app gets a verifiable ES256 JWT for the person; after logout, none', async (t) => {
  const identity = await startTestIdentity(t)
  const app = await startJwtApp(t)
  const ory = parseUpstream(identity.url, 'ory')
  const gate = new OrySessionGate(ory, { key: generateSigningKey(), logger: silentLogger })
  const { publish } = await startPublishedProxy(t, app.url, identity.url, {}, { gate })
  app.useProxy(publish, identity.url)

  const jar = await registerUser(`${publish}/.ory`, 'jwt@example.org', 'correct horse battery')
  const session = (await (await jar.fetch(`${publish}/.ory/sessions/whoami`)).json()) as { identity: { id: string } }
  const signedIn = (await (await jar.fetch(`${publish}/dashboard`)).json()) as AppView
  assert.equal(signedIn.error, undefined)
  assert.equal(signedIn.claims?.sub, session.identity.id)
  assert.equal(signedIn.claims?.iss, identity.url)
  // A forged Authorization next to the browser's cookie is dropped: the app still gets only the
  // proxy's token for the cookie's session (whoami reads the cookie before Bearer, as Kratos does).
  const forged = (await (await jar.fetch(`${publish}/dashboard`, { headers: { authorization: 'Bearer forged' } })).json()) as AppView
  assert.equal(forged.authorization.length, 1)
  assert.equal(forged.claims?.sub, session.identity.id)
  const claim = signedIn.claims?.session as { identity: { traits: { email: string } }; authentication_methods: Array<{ method: string }> }
  assert.equal(claim.identity.traits.email, 'jwt@example.org')
  assert.equal(claim.authentication_methods[0]?.method, 'password')

  const cookie = jar.header()!
  const { logout_url } = (await (await jar.fetch(`${publish}/.ory/self-service/logout/browser`)).json()) as { logout_url: string }
  assert.equal((await jar.fetch(logout_url, { headers: { accept: 'application/json' } })).status, 204)
  // Even the old cookie, replayed at once, gets no token: the session is gone, not just its cookie.
  const replayed = (await (await fetch(`${publish}/dashboard`, { headers: { cookie } })).json()) as AppView
  assert.deepEqual(replayed.authorization, [])
  const anonymous = (await (await new CookieJar().fetch(`${publish}/dashboard`)).json()) as AppView
  assert.deepEqual(anonymous.authorization, [])
})
