import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULTS } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'

test('a session too large for the header budget is dropped from the JWT, sub kept, with a debug line (checklist e7)', async (t) => {
  const lines: string[] = []
  const logger = createLogger({ debug: true, quiet: true, write: (line) => lines.push(line) })
  const { ory, proxy } = await startSessionProxy(t, { logger })
  ory.addCookieSession('ory_session_x', 'big', 'identity-big', { traits: { bio: 'b'.repeat(12 * 1024) } })
  ory.addCookieSession('ory_session_x', 'small', 'identity-small')
  // 6 KiB of the client's own cookies on top: the app (Node, 16 KiB of headers) must not answer 431.
  const cookies = `ory_session_x=big; ${Array.from({ length: 6 }, (_, i) => `c${i}=${'v'.repeat(1000)}`).join('; ')}`

  const big = await viewThrough(proxy, '/', { cookie: cookies })
  assert.equal(big.status, 200)
  assert.equal(big.view!.claims!.sub, 'identity-big')
  assert.equal(big.view!.claims!.session, undefined)
  assert.ok(big.view!.authorization[0]!.length <= DEFAULTS.jwtHeaderBudgetBytes)
  const dropped = lines.map((line) => JSON.parse(line) as { event: string; sub?: string }).find((e) => e.event === 'jwt-session-dropped')
  assert.equal(dropped?.sub, 'identity-big')

  const small = await viewThrough(proxy, '/', { cookie: 'ory_session_x=small' })
  assert.equal((small.view!.claims!.session as { identity: { id: string } }).identity.id, 'identity-small')
})

test('the budget is measured on the whole Authorization value', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { headerBudgetBytes: 2_000 })
  // Just under and just over what fits: the session claim is kept only when the value fits.
  ory.addCookieSession('ory_session_x', 'fits', 'identity-fits', { traits: { bio: 'f'.repeat(700) } })
  ory.addCookieSession('ory_session_x', 'over', 'identity-over', { traits: { bio: 'o'.repeat(1_300) } })
  const fits = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=fits' })).view!
  const over = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=over' })).view!
  assert.notEqual(fits.claims!.session, undefined)
  assert.ok(fits.authorization[0]!.length <= 2_000)
  assert.equal(over.claims!.session, undefined)
  assert.equal(over.claims!.sub, 'identity-over')
})

test("a request whose own headers leave no room for the whole token gets one without the session claim, not the app's 431 (checklist e7)", async (t) => {
  const lines: string[] = []
  const logger = createLogger({ debug: true, quiet: true, write: (line) => lines.push(line) })
  const { ory, proxy } = await startSessionProxy(t, { logger })
  // A token of about 6 KiB: within the 8 KiB budget on its own.
  ory.addCookieSession('ory_session_x', 'mid', 'identity-mid', { traits: { bio: 'm'.repeat(4_500) } })
  const whole = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=mid' })).view!
  assert.notEqual(whole.claims!.session, undefined)
  assert.ok(whole.authorization[0]!.length > 5_000)

  // 10 KiB of the client's own cookies: with the whole token the head passes the app's 16 KiB.
  const pad = 'p'.repeat(10_240)
  assert.ok(whole.authorization[0]!.length + pad.length > 16_384)
  const padded = await viewThrough(proxy, '/padded', { cookie: `ory_session_x=mid; pad=${pad}` })
  assert.equal(padded.status, 200)
  const lean = padded.view!
  assert.equal(lean.error, undefined)
  assert.equal(lean.claims!.sub, 'identity-mid')
  assert.equal(lean.claims!.session, undefined)
  // The same identity for the same time, from the cached answer: no second whoami call.
  assert.equal(lean.claims!.exp, whole.claims!.exp)
  assert.equal(lean.claims!.iat, whole.claims!.iat)
  assert.notEqual(lean.claims!.jti, whole.claims!.jti)
  assert.equal(ory.whoamiCalls.length, 1)
  const dropped = lines.map((line) => JSON.parse(line) as { event: string; sub?: string; reason?: string }).filter((e) => e.event === 'jwt-session-dropped')
  assert.deepEqual(dropped.map((e) => e.sub), ['identity-mid'])
  assert.match(dropped[0]!.reason!, /headers/)

  // A request with room gets the whole cached token again.
  const again = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=mid; small=1' })).view!
  assert.equal(again.claims!.jti, whole.claims!.jti)
  assert.notEqual(again.claims!.session, undefined)
})

test('when the signing pool is full, a request waiting for its shorter token gets 503 + Retry-After and is not forwarded', async (t) => {
  const { app, ory, proxy } = await startSessionProxy(t, { signer: { threads: 1, tasksPerThread: 1, maxQueue: 0 } })
  ory.addCookieSession('ory_session_x', 'mid', 'identity-mid', { traits: { bio: 'm'.repeat(4_500) } })
  assert.notEqual((await viewThrough(proxy, '/', { cookie: 'ory_session_x=mid' })).view!.claims!.session, undefined)
  const served = app.count
  // Every one of these needs a signature of its own, all at once, through one slot.
  const cookie = `ory_session_x=mid; pad=${'p'.repeat(10_240)}`
  const answers = await Promise.all(Array.from({ length: 40 }, () => viewThrough(proxy, '/padded', { cookie, accept: 'application/json' })))
  const overloaded = answers.filter((answer) => answer.status === 503)
  assert.ok(overloaded.length > 0, 'some requests found the pool full')
  for (const answer of overloaded) {
    assert.match(String(answer.headers['retry-after']), /^\d+$/)
    assert.match(answer.text, /signing pool is full/)
  }
  const forwarded = answers.filter((answer) => answer.status === 200)
  assert.equal(app.count - served, forwarded.length, 'nothing forwarded without its token')
  for (const answer of forwarded) assert.equal(answer.view!.claims!.session, undefined)
})
