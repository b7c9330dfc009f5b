import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import type { WhoamiMode } from '../helpers/ory.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'
import { freePort } from '../helpers/upstream.js'

const DEADLINE_MS = 500
/** Generous against a loaded 2-core machine; the point is "seconds, not minutes" (ory proxy: up to ~180 s). */
const SLACK_MS = 1_500

const FAIL_CLOSED: Array<[string, WhoamiMode | 'refuse', RegExp]> = [
  ['Ory refuses connections', 'refuse', /could not be reached/],
  ['Ory hangs', 'hang', /did not answer within 500 ms/],
  ['Ory answers after 10 s', 'delay', /did not answer within 500 ms/],
  ['Ory answers 500', 'status-500', /answered 500/],
  ['Ory answers 429', 'status-429', /answered 429/],
  ['Ory answers garbage', 'garbage', /not JSON/],
  ['Ory answers {}', 'empty-object', /no boolean "active"/],
  ['Ory answers []', 'array', /not an object/],
  ['Ory answers 5 MiB', 'huge', /over the size limit/],
  ['Ory answers an active session with an empty identity.id', 'empty-id', /without identity.id/],
]

for (const [name, mode, reason] of FAIL_CLOSED) {
  test(`${name}: a credentialed request gets 503 + Retry-After within the deadline and nothing is forwarded; anonymous requests still work`, async (t) => {
    const { app, ory, proxy } = await startSessionProxy(t, {
      whoamiTimeoutMs: DEADLINE_MS,
      ...(mode === 'refuse' ? { oryUrl: `http://127.0.0.1:${await freePort()}` } : {}),
    })
    ory.addCookieSession('ory_session_x', 'A', 'identity-a')
    if (mode !== 'refuse') ory.setMode(mode, 10_000)

    const started = performance.now()
    const response = await request(`${proxy.url}/private`, {
      headers: { cookie: 'ory_session_x=A', accept: 'application/json' },
    })
    const elapsed = performance.now() - started
    const body = (await response.body.json()) as { error: { code: number; reason: string } }
    assert.equal(response.statusCode, 503)
    assert.match(String(response.headers['retry-after']), /^\d+$/)
    assert.equal(body.error.code, 503)
    assert.match(body.error.reason, reason)
    assert.ok(elapsed < DEADLINE_MS + SLACK_MS, `answered after ${Math.round(elapsed)} ms`)
    assert.equal(app.count, 0, 'nothing reached the app')

    const calls = ory.whoamiCalls.length
    const anonymous = await viewThrough(proxy, '/public')
    assert.equal(anonymous.status, 200)
    assert.deepEqual(anonymous.view!.authorization, [])
    assert.equal(ory.whoamiCalls.length, calls, 'no whoami call without credentials')
  })
}

test('an inactive session (active: false) or a 401 is forwarded anonymously, with the client Authorization removed', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.setMode('inactive')
  const inactive = await viewThrough(proxy, '/', { cookie: 'ory_session_x=A', authorization: 'Bearer forged' })
  assert.equal(inactive.status, 200)
  assert.deepEqual(inactive.view!.authorization, [])
  ory.setMode('ok')
  const unknown = await viewThrough(proxy, '/', { cookie: 'ory_session_x=nobody' })
  assert.equal(unknown.status, 200)
  assert.deepEqual(unknown.view!.authorization, [])
  assert.equal(ory.whoamiCalls.length, 2)
})

test('all requests waiting on one failing whoami call get 503, and the failure is not shared with the next call', async (t) => {
  const { app, ory, proxy } = await startSessionProxy(t, { whoamiTimeoutMs: DEADLINE_MS })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  ory.setMode('hang')
  const statuses = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const response = await request(`${proxy.url}/`, { headers: { cookie: 'ory_session_x=A' } })
      await response.body.dump()
      return response.statusCode
    }),
  )
  assert.deepEqual(new Set(statuses), new Set([503]))
  assert.equal(ory.whoamiCalls.length, 1)
  assert.equal(app.count, 0)
  ory.setMode('ok')
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!.sub, 'identity-a')
})
