import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Configuration, FrontendApi, IdentityApi, instanceOfIdentity, instanceOfSession, ResponseError } from '@ory/client-fetch'
import type { IdentityServerHandle } from '../../src/identity/server.js'
import { registerUser, startProxiedIdentity, startTestIdentity, testClock } from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'
/** 'imported-secret-1' hashed by Python's bcrypt (see password.test.ts). */
const BCRYPT = '$2b$04$56g7Y5WXVZmD64pWkOx3s.famiR766f9f.pkc5JiKBeo87nuhiqiG'

/** Ory's SDK on the admin listener: nothing changed but basePath, the token header and Accept. */
function identityApi(identity: Pick<IdentityServerHandle, 'adminUrl' | 'adminToken'>, token = identity.adminToken): IdentityApi {
  return new IdentityApi(
    new Configuration({ basePath: identity.adminUrl, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }),
  )
}

/** Logs in with the API flow through Ory's SDK; the session token. */
async function apiLogin(url: string, identifier: string, password: string): Promise<string> {
  const frontend = new FrontendApi(new Configuration({ basePath: url, headers: { accept: 'application/json' } }))
  const flow = await frontend.createNativeLoginFlow()
  const done = await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier, password } })
  return done.session_token!
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
    return 200
  } catch (error) {
    if (error instanceof ResponseError) return error.response.status
    throw error
  }
}

test("Ory's SDK creates, lists, gets, patches and deletes identities, and lists their sessions, on the admin listener", async (t) => {
  const identity = await startTestIdentity(t)
  const api = identityApi(identity)

  const created = await api.createIdentity({
    createIdentityBody: {
      schema_id: 'default',
      traits: { email: 'Ada@Example.org' },
      credentials: { password: { config: { password: PASSWORD } } },
      metadata_public: { plan: 'pro' },
      metadata_admin: { note: 'vip' },
    },
  })
  assert.ok(instanceOfIdentity(created))
  assert.deepEqual(created.traits, { email: 'Ada@Example.org' })
  assert.equal(created.state, 'active')
  assert.deepEqual(created.metadata_public, { plan: 'pro' })
  assert.deepEqual(created.metadata_admin, { note: 'vip' })
  assert.deepEqual(created.credentials?.password?.identifiers, ['ada@example.org'])
  assert.equal(created.credentials?.password?.config, undefined, 'no hash unless asked for')
  assert.equal(created.verifiable_addresses?.[0]?.verified, false)

  const imported = await api.createIdentity({
    createIdentityBody: {
      schema_id: 'default',
      traits: { email: 'bob@example.org' },
      credentials: { password: { config: { hashed_password: BCRYPT } } },
      verifiable_addresses: [{ value: 'bob@example.org', verified: true, via: 'email', status: 'completed' }],
    },
  })
  assert.equal(imported.verifiable_addresses?.[0]?.verified, true, 'an imported verified address stays verified')

  // The people can log in: one with the password, one with the imported hash's password.
  const adaToken = await apiLogin(identity.url, 'ada@example.org', PASSWORD)
  await apiLogin(identity.url, 'bob@example.org', 'imported-secret-1')

  const all = await api.listIdentities()
  assert.deepEqual(all.map((i) => i.id), [created.id, imported.id])
  const byIdentifier = await api.listIdentities({ credentialsIdentifier: 'ADA@example.org' })
  assert.deepEqual(byIdentifier.map((i) => i.id), [created.id])
  assert.deepEqual(await api.listIdentities({ credentialsIdentifier: 'nobody@example.org' }), [])
  const firstPage = await api.listIdentitiesRaw({ pageSize: 1 })
  assert.match(firstPage.raw.headers.get('link') ?? '', /page_token=.*rel="next"/)

  const got = await api.getIdentity({ id: imported.id, includeCredential: ['password'] })
  assert.equal((got.credentials?.password?.config as { hashed_password?: string }).hashed_password, BCRYPT)

  const patched = await api.patchIdentity({
    id: created.id,
    jsonPatch: [
      { op: 'replace', path: '/traits/email', value: 'ada.lovelace@example.org' },
      { op: 'add', path: '/metadata_public/seats', value: 3 },
    ],
  })
  assert.deepEqual(patched.traits, { email: 'ada.lovelace@example.org' })
  assert.deepEqual(patched.metadata_public, { plan: 'pro', seats: 3 })
  assert.deepEqual(patched.credentials?.password?.identifiers, ['ada.lovelace@example.org'])
  await apiLogin(identity.url, 'ada.lovelace@example.org', PASSWORD)

  const sessions = await api.listIdentitySessions({ id: created.id })
  assert.equal(sessions.length, 2)
  assert.ok(sessions.every((session) => instanceOfSession(session) && session.active && session.identity?.id === created.id))
  const got1 = await api.getSession({ id: sessions[0]!.id, expand: ['identity'] })
  assert.equal(got1.identity?.id, created.id)
  assert.equal(got1.devices, undefined, 'only what expand asks for')
  const extended = await api.extendSession({ id: sessions[0]!.id })
  assert.ok(extended!.expires_at! >= sessions[0]!.expires_at!)

  await api.disableSession({ id: sessions[0]!.id })
  assert.equal((await api.getSession({ id: sessions[0]!.id })).active, false, 'a revoked session is listed inactive')
  assert.equal((await api.listIdentitySessions({ id: created.id, active: true })).length, 1)
  await api.deleteIdentitySessions({ id: created.id })
  assert.equal((await api.listIdentitySessions({ id: created.id, active: true })).length, 0)
  const whoami = await fetch(`${identity.url}/sessions/whoami`, { headers: { 'x-session-token': adaToken } })
  assert.equal(whoami.status, 401)

  await api.deleteIdentity({ id: imported.id })
  assert.equal(await status(api.getIdentity({ id: imported.id })), 404)
  assert.equal(await status(api.deleteIdentity({ id: imported.id })), 404)
  assert.deepEqual((await api.listIdentities()).map((i) => i.id), [created.id])
})

test('PUT replaces traits, state and metadata; an inactive identity cannot log in and its sessions end', async (t) => {
  const identity = await startTestIdentity(t)
  const api = identityApi(identity)
  const created = await api.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email: 'carol@example.org' }, credentials: { password: { config: { password: PASSWORD } } } },
  })
  const token = await apiLogin(identity.url, 'carol@example.org', PASSWORD)
  const updated = await api.updateIdentity({
    id: created.id,
    updateIdentityBody: { schema_id: 'default', traits: { email: 'carol@example.org' }, state: 'inactive', metadata_public: { x: 1 } },
  })
  assert.equal(updated.state, 'inactive')
  assert.deepEqual(updated.metadata_public, { x: 1 })
  assert.equal((await fetch(`${identity.url}/sessions/whoami`, { headers: { 'x-session-token': token } })).status, 401)
  assert.equal(await status(apiLogin(identity.url, 'carol@example.org', PASSWORD)), 400, 'the password still matches, but the identity is inactive')
  await api.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path: '/state', value: 'active' }] })
  await apiLogin(identity.url, 'carol@example.org', PASSWORD)
})

test('the admin API refuses bad input with Kratos-shaped 400s and duplicates with 409', async (t) => {
  const identity = await startTestIdentity(t)
  const post = (body: unknown) =>
    fetch(`${identity.adminUrl}/admin/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${identity.adminToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  const cases: Array<[unknown, number, RegExp]> = [
    [{ schema_id: 'default', traits: { email: 'not an email' } }, 400, /traits.email: "not an email" is not valid "email"/],
    [{ schema_id: 'default', traits: {} }, 400, /traits.email: Property email is missing/],
    [{ schema_id: 'other', traits: { email: 'a@example.org' } }, 400, /unable to find JSON Schema ID: other/],
    [{ schema_id: 'default', traits: { email: 'a@example.org' }, surprise: 1 }, 400, /unknown field "surprise"/],
    [{ schema_id: 'default', traits: { email: 'a@example.org' }, state: 'frozen' }, 400, /Valid states are/],
    [{ schema_id: 'default', traits: { email: 'a@example.org' }, credentials: { password: { config: { hashed_password: '$md5$4QrcOUm6Wau+VuBX8g+IPg==' } } } }, 400, /not a hash the built-in identity server can check/],
    [{ schema_id: 'default', traits: { email: 'a@example.org' }, credentials: { oidc: { config: {} } } }, 400, /credentials.oidc is not supported/],
  ]
  for (const [body, code, reason] of cases) {
    const response = await post(body)
    const answer = (await response.json()) as { error: { code: number; reason?: string } }
    assert.equal(response.status, code, JSON.stringify(body))
    assert.equal(answer.error.code, code)
    assert.match(answer.error.reason ?? '', reason)
  }
  assert.equal((await post({ schema_id: 'default', traits: { email: 'dup@example.org' } })).status, 201)
  const duplicate = await post({ schema_id: 'default', traits: { email: 'DUP@example.org' } })
  assert.equal(duplicate.status, 409)
  assert.match(((await duplicate.json()) as { error: { reason: string } }).error.reason, /conflicts with another identity/)
  const patch = await fetch(`${identity.adminUrl}/admin/identities/${((await (await fetch(`${identity.adminUrl}/admin/identities`, { headers: { authorization: `Bearer ${identity.adminToken}` } })).json()) as Array<{ id: string }>)[0]!.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${identity.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ op: 'replace', path: '/id', value: 'mine' }]),
  })
  assert.equal(patch.status, 400)
})

test('without the token or with a wrong one the admin API is 401; through the public port and the proxy it is 404', async (t) => {
  const { identity, publish } = await startProxiedIdentity(t)
  assert.equal(await status(identityApi(identity, 'wrong').listIdentities()), 401)
  const anonymous = new IdentityApi(new Configuration({ basePath: identity.adminUrl, headers: { accept: 'application/json' } }))
  assert.equal(await status(anonymous.listIdentities()), 401)
  const created = await identityApi(identity).createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: 'eve@example.org' } } })
  for (const base of [identity.url, `${publish}/.ory`]) {
    const api = identityApi({ adminUrl: base, adminToken: identity.adminToken })
    assert.equal(await status(api.listIdentities()), 404, base)
    assert.equal(await status(api.getIdentity({ id: created.id })), 404, base)
    assert.equal(await status(api.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: 'x@example.org' } } })), 404, base)
    assert.equal(await status(api.listIdentitySessions({ id: created.id })), 404, base)
  }
})

test('listSessions expands the identity; an extended session lasts a whole lifespan from then', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now, sessionLifetimeMs: 60_000 })
  const jar = await registerUser(identity.url, 'fay@example.org', PASSWORD)
  const api = identityApi(identity)
  const [session] = await api.listSessions({ expand: ['identity'] })
  assert.equal(session?.identity?.traits.email, 'fay@example.org')
  clock.advance(50_000)
  await api.extendSession({ id: session!.id })
  clock.advance(50_000)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 200, 'alive 100 s after login with a 60 s lifespan')
  clock.advance(20_000)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 401)
})
