import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AppView } from '../helpers/jwt-app.js'
import { raw } from '../helpers/raw.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'

/** Sends raw header lines to the proxy and returns what the app saw (checklist e3 needs duplicates Node's client won't send). */
async function rawView(port: number, lines: string[]): Promise<AppView> {
  const result = await raw(port, `GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`, 5_000)
  assert.deepEqual(result.statuses, [200], result.text)
  return JSON.parse(result.text.slice(result.text.indexOf('\r\n\r\n') + 4)) as AppView
}

test('no credentials + a forged Authorization: the app receives no Authorization (e3 i)', async (t) => {
  const { proxy } = await startSessionProxy(t)
  const { view } = await viewThrough(proxy, '/', { authorization: 'Bearer forged' })
  assert.deepEqual(view!.authorization, [])
  const basic = await viewThrough(proxy, '/', { authorization: 'Basic YWRtaW46YWRtaW4=' })
  assert.deepEqual(basic.view!.authorization, [])
})

test('a valid cookie + a forged Authorization: exactly one Authorization, ours, and it verifies (e3 ii)', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const { view } = await viewThrough(proxy, '/', { cookie: 'ory_session_x=A', authorization: 'Bearer forged' })
  assert.equal(view!.authorization.length, 1)
  assert.notEqual(view!.authorization[0], 'Bearer forged')
  assert.equal(view!.error, undefined)
  assert.equal(view!.claims!.sub, 'identity-a')
})

test('duplicated and case-variant Authorization lines never reach the app (e3 iii)', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const withSession = await rawView(proxy.port, [
    'Authorization: x',
    'Cookie: ory_session_x=A',
    'authorization: y',
    'AUTHORIZATION: Bearer z',
  ])
  assert.equal(withSession.authorization.length, 1)
  assert.equal(withSession.claims!.sub, 'identity-a')
  const anonymous = await rawView(proxy.port, ['Authorization: Bearer one', 'authorization: Bearer two', 'Proxy-Authorization: Basic eA=='])
  assert.deepEqual(anonymous.authorization, [])
})

test('Connection: Authorization cannot remove the JWT the proxy adds, nor smuggle the client one (e3 iv)', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const withSession = await rawView(proxy.port, ['Connection: Authorization', 'Cookie: ory_session_x=A', 'Authorization: Bearer forged'])
  assert.equal(withSession.authorization.length, 1)
  assert.equal(withSession.claims!.sub, 'identity-a')
  const anonymous = await rawView(proxy.port, ['Connection: authorization', 'Authorization: Bearer forged'])
  assert.deepEqual(anonymous.authorization, [])
})

test('Ory-bound requests keep the client Authorization (Ory reads session tokens from it)', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  const response = await viewThrough(proxy, '/.ory/sessions/whoami', { authorization: 'Bearer token-c' })
  assert.equal(response.status, 401)
  assert.deepEqual(ory.whoamiCalls[0]!.headers.authorization, ['Bearer token-c'])
})
