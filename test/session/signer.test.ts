import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { ProxyError } from '../../src/errors.js'
import { generateSigningKey } from '../../src/session/keys.js'
import { SignerPool } from '../../src/session/signer.js'
import { startSessionProxy } from '../helpers/session-proxy.js'

const task = (sub: string) => ({ sub, session: '{"active":true}', iat: 1, exp: 61, jti: sub })

test('work beyond the pool capacity is refused at once with ERR_SIGNING_OVERLOADED', async (t) => {
  const key = generateSigningKey()
  const pool = new SignerPool(
    { privateJwk: key.privateJwk, kid: key.kid, issuer: 'http://ory.test', headerBudget: 8192 },
    { threads: 1, tasksPerThread: 1, maxQueue: 1 },
  )
  t.after(() => pool.close())
  const results = await Promise.allSettled([pool.sign(task('a')), pool.sign(task('b')), pool.sign(task('c'))])
  assert.equal(results[0]!.status, 'fulfilled')
  assert.equal(results[1]!.status, 'fulfilled')
  assert.equal(results[2]!.status, 'rejected')
  const error = (results[2] as PromiseRejectedResult).reason as ProxyError
  assert.ok(error instanceof ProxyError)
  assert.equal(error.code, 'ERR_SIGNING_OVERLOADED')
  assert.equal(error.statusCode, 503)
  // Capacity comes back once the running work is done.
  assert.match((await pool.sign(task('d'))).authorization, /^Bearer ey/)
})

test('close() leaves no signing threads', async (t) => {
  const key = generateSigningKey()
  const pool = new SignerPool({ privateJwk: key.privateJwk, kid: key.kid, issuer: 'http://ory.test', headerBudget: 8192 })
  t.after(() => pool.close())
  await pool.sign(task('a'))
  assert.ok(pool.threadCount >= 1)
  await pool.close()
  assert.equal(pool.threadCount, 0)
})

test('the proxy answers 503 + Retry-After when the signing pool is saturated, forwards nothing for those, and its close() stops every thread', async (t) => {
  const { app, ory, proxy, gate } = await startSessionProxy(t, { signer: { threads: 1, tasksPerThread: 1, maxQueue: 0 } })
  const users = Array.from({ length: 40 }, (_, i) => `U${i}`)
  for (const user of users) ory.addCookieSession('ory_session_x', user, `identity-${user}`)
  // Held answers are released together, so the signatures pile up at once.
  ory.setMode('delay', 100)
  const answers = await Promise.all(
    users.map(async (user) => {
      const response = await request(`${proxy.url}/`, { headers: { cookie: `ory_session_x=${user}`, accept: 'application/json' } })
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: await response.body.text() }
    }),
  )
  const overloaded = answers.filter((answer) => answer.status === 503)
  assert.ok(overloaded.length > 0, 'some requests found the pool full')
  for (const answer of overloaded) {
    assert.match(String(answer.retryAfter), /^\d+$/)
    assert.match(answer.body, /signing pool is full/)
  }
  assert.equal(app.count, answers.filter((answer) => answer.status === 200).length)

  assert.ok(gate.signingThreads >= 1)
  await proxy.close()
  assert.equal(gate.signingThreads, 0)
})
