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
