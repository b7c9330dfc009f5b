import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startSessionProxy } from '../helpers/session-proxy.js'
import { startTestProxy } from '../helpers/proxy.js'
import { startUpstream } from '../helpers/upstream.js'

// W3C Trace Context (https://www.w3.org/TR/trace-context/) examples.
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACESTATE = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'

test('traceparent, tracestate and X-Request-Id reach the app and Ory unchanged', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, ory.url)
  const headers = { traceparent: TRACEPARENT, tracestate: TRACESTATE, 'x-request-id': 'req-4711' }
  for (const path of ['/page', '/.ory/self-service/login/browser']) {
    const response = await request(proxy.url + path, { headers })
    await response.body.dump()
    assert.equal(response.headers['x-request-id'], 'req-4711', `${path}: the id comes back`)
  }
  for (const seen of [app.requests[0]!, ory.requests[0]!]) {
    assert.deepEqual(seen.headers.traceparent, [TRACEPARENT], seen.url)
    assert.deepEqual(seen.headers.tracestate, [TRACESTATE], seen.url)
    assert.deepEqual(seen.headers['x-request-id'], ['req-4711'], seen.url)
  }
})

test('a tracestate split over two lines reaches the app as sent', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url)
  const response = await request(`${proxy.url}/`, { headers: ['traceparent', TRACEPARENT, 'tracestate', 'rojo=1', 'tracestate', 'congo=2'] })
  await response.body.dump()
  assert.deepEqual(app.requests[0]!.headers.tracestate, ['rojo=1', 'congo=2'])
})

test('the whoami call carries the X-Request-Id and trace context of the request that caused it', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'a', 'identity-a')
  const response = await request(`${proxy.url}/dashboard`, {
    headers: { cookie: 'ory_session_x=a', traceparent: TRACEPARENT, tracestate: TRACESTATE, 'x-request-id': 'req-first' },
  })
  await response.body.dump()
  assert.equal(response.statusCode, 200)
  assert.equal(ory.whoamiCalls.length, 1)
  const asked = ory.whoamiCalls[0]!.headers
  assert.deepEqual(asked['x-request-id'], ['req-first'])
  assert.deepEqual(asked.traceparent, [TRACEPARENT])
  assert.deepEqual(asked.tracestate, [TRACESTATE])

  // Another credential, no trace context: the whoami call carries the proxy's request id and no
  // trace headers of anyone else.
  ory.addCookieSession('ory_session_x', 'b', 'identity-b')
  const second = await request(`${proxy.url}/dashboard`, { headers: { cookie: 'ory_session_x=b' } })
  await second.body.dump()
  const generated = second.headers['x-request-id'] as string
  assert.match(generated, /^[0-9a-f-]{36}$/)
  const other = ory.whoamiCalls[1]!.headers
  assert.deepEqual(other['x-request-id'], [generated])
  assert.equal(other.traceparent, undefined)
  assert.equal(other.tracestate, undefined)
})
