import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { silentLogger } from '../../src/logger.js'
import { generateSigningKey, type SigningKey } from '../../src/session/keys.js'
import { createRedisClient } from '../../src/session/redis-client.js'
import { RedisSessionLevel } from '../../src/session/redis-level.js'
import { startRedis, type RedisServer } from '../helpers/redis.js'
import { startSessionProxy, viewThrough, type SessionSetup } from '../helpers/session-proxy.js'

/** A proxy whose gate shares `redis` (its key's namespace) with every other one made here. */
async function proxySharing(t: TestContext, redis: RedisServer, key: SigningKey, options: { oryUrl?: string; tokenLifetimeS?: number } = {}): Promise<SessionSetup> {
  const store = { host: '127.0.0.1', port: redis.port, username: undefined, password: undefined, db: 0, tls: false, display: 'redis://test' }
  const client = createRedisClient(store)
  await client.connect()
  const shared = new RedisSessionLevel(client, { namespace: `ory-proxy:v1:${key.kid}:`, display: store.display, logger: silentLogger })
  return startSessionProxy(t, { key, shared, cacheTtlMs: 60_000, ...options })
}

test("an entry from another proxy whose token is about to expire is renewed before it is sent, not passed on", async (t) => {
  const redis = await startRedis(t)
  const key = generateSigningKey()
  // Tokens of 4 s in entries of a minute: the entry outlives its token, as with a cache TTL over 60 s.
  const a = await proxySharing(t, redis, key, { tokenLifetimeS: 4 })
  const b = await proxySharing(t, redis, key, { tokenLifetimeS: 4, oryUrl: a.ory.url })
  a.ory.addCookieSession('ory_session_x', 'A', 'identity-a')

  const first = (await viewThrough(a.proxy, '/', { cookie: 'ory_session_x=A' })).view!
  assert.equal(first.claims!.sub, 'identity-a')
  // Past its renewal point (at most 90 % of its lifetime), with less than the 1 s a token must have
  // left to be sent as it is.
  await sleep(first.claims!.exp! * 1000 - Date.now() - 300)
  const second = (await viewThrough(b.proxy, '/', { cookie: 'ory_session_x=A' })).view!
  assert.equal(second.claims?.sub, 'identity-a', second.error)
  assert.notEqual(second.claims!.jti, first.claims!.jti, 'B signed a successor')
  assert.ok(second.claims!.exp! * 1000 - Date.now() > 1_000, 'the token B sent has time left')
  assert.equal(a.ory.whoamiCalls.length, 1, 'renewed from the entry, without asking Ory')
})
