import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { silentLogger, createLogger } from '../../src/logger.js'
import { CachedAnswer } from '../../src/session/cached-answer.js'
import { createRedisClient } from '../../src/session/redis-client.js'
import { RedisSessionLevel } from '../../src/session/redis-level.js'
import type { SessionStoreSettings } from '../../src/session/gate.js'
import { startRedis, type RedisServer } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

const NS = 'ory-proxy:v1:test-kid:'

function storeOf(redis: RedisServer): SessionStoreSettings {
  return { host: '127.0.0.1', port: redis.port, username: undefined, password: undefined, db: 0, tls: false, display: `redis://127.0.0.1:${redis.port}/0` }
}

/** Levels opened per server, so a new one is ready once Redis counts that many event subscribers. */
const opened = new Map<RedisServer, number>()

/** A level as one proxy would open it, connected and subscribed before the test goes on, closed after it. */
async function openLevel(t: TestContext, redis: RedisServer, lines?: string[]): Promise<RedisSessionLevel> {
  const client = createRedisClient(storeOf(redis))
  await client.connect()
  const logger = lines === undefined ? silentLogger : createLogger({ write: (line) => lines.push(line) })
  const level = new RedisSessionLevel(client, { namespace: NS, display: storeOf(redis).display, logger })
  t.after(() => level.close())
  const expected = (opened.get(redis) ?? 0) + 1
  opened.set(redis, expected)
  const probe = redis.client()
  await eventually(async () => ((await probe.pubsub('NUMSUB', `${NS}evicted`)) as [string, number])[1] >= expected, 'the level subscribing')
  probe.disconnect()
  return level
}

/** Resolves once `condition()` holds, checking every 10 ms for at most `timeoutMs`. */
async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

async function server(t: TestContext, password?: string): Promise<RedisServer> {
  return startRedis(t, password === undefined ? {} : { password })
}

const answer = (name: string, ttlMs = 60_000) => new CachedAnswer(`Bearer ${name}`, Date.now() + ttlMs, Date.now() + ttlMs, Date.now() + ttlMs, undefined)

test('one leader among proxies: the first claim leads, the others wait for its fill and get its answer', async (t) => {
  const redis = await server(t)
  const [a, b, c] = [await openLevel(t, redis), await openLevel(t, redis), await openLevel(t, redis)]
  const lead = await a.claim('k1', 3_000)
  assert.equal(lead.kind, 'lead')
  const waiting = [b.claim('k1', 3_000), c.claim('k1', 3_000)]
  await sleep(50)
  const started = Date.now()
  a.fill('k1', answer('one'), (lead as { lease: string }).lease)
  for (const claim of await Promise.all(waiting)) {
    assert.equal(claim.kind, 'answer')
    assert.equal((claim as { answer: CachedAnswer }).answer.authorization, 'Bearer one')
  }
  assert.ok(Date.now() - started < 500, 'waiters woke on the notice, not at their deadline')
  const later = await c.claim('k1', 3_000)
  assert.equal(later.kind, 'answer')
  assert.equal((await b.peek('k1'))?.authorization, 'Bearer one')
})

test('a leader that releases sends its waiters to Ory at once', async (t) => {
  const redis = await server(t)
  const [a, b] = [await openLevel(t, redis), await openLevel(t, redis)]
  const lead = await a.claim('k2', 3_000)
  const waiting = b.claim('k2', 3_000)
  await sleep(50)
  const started = Date.now()
  a.release('k2', (lead as { lease: string }).lease)
  assert.equal((await waiting).kind, 'alone')
  assert.ok(Date.now() - started < 500)
  // The lock is gone: the next claim leads.
  assert.equal((await b.claim('k2', 3_000)).kind, 'lead')
})

test('a wait is bounded: a leader that never answers leaves its waiter alone after waitMs', async (t) => {
  const redis = await server(t)
  const [a, b] = [await openLevel(t, redis), await openLevel(t, redis)]
  assert.equal((await a.claim('k3', 3_000)).kind, 'lead')
  const started = Date.now()
  assert.equal((await b.claim('k3', 200)).kind, 'alone')
  const waited = Date.now() - started
  assert.ok(waited >= 190 && waited < 1_000, `waited ${waited} ms`)
})

test('a logout voids the lease in flight: the late fill stores nothing and the waiter asks Ory', async (t) => {
  const redis = await server(t)
  const [a, b] = [await openLevel(t, redis), await openLevel(t, redis)]
  const lead = await a.claim('k4', 3_000)
  const waiting = b.claim('k4', 3_000)
  await sleep(50)
  await b.evict(['k4'])
  assert.equal((await waiting).kind, 'alone')
  a.fill('k4', answer('stale'), (lead as { lease: string }).lease)
  await sleep(50)
  assert.equal(await a.peek('k4'), undefined)
})

test('a renewal (fill without lease) replaces a live entry but never brings back an evicted one', async (t) => {
  const redis = await server(t)
  const [a, b] = [await openLevel(t, redis), await openLevel(t, redis)]
  a.fill('k5', answer('renewed'), undefined)
  await sleep(50)
  assert.equal(await b.peek('k5'), undefined, 'no entry was made')
  const lead = await a.claim('k5', 3_000)
  a.fill('k5', answer('first'), (lead as { lease: string }).lease)
  await eventually(async () => (await b.peek('k5')) !== undefined, 'the fill')
  b.fill('k5', answer('second'), undefined)
  await eventually(async () => (await a.peek('k5'))?.authorization === 'Bearer second', 'the renewal replacing the entry')
  await a.evict(['k5'])
  b.fill('k5', answer('third'), undefined)
  await sleep(50)
  assert.equal(await a.peek('k5'), undefined)
})

test('entries expire with the answer (PX) and hold only the encoded answer, under a hashed key', async (t) => {
  const redis = await server(t)
  const a = await openLevel(t, redis)
  const lead = await a.claim('k6', 3_000)
  a.fill('k6', answer('short', 300), (lead as { lease: string }).lease)
  const probe = redis.client()
  await sleep(50)
  const ttl = await probe.pttl(`${NS}e:k6`)
  assert.ok(ttl > 0 && ttl <= 300, `PX ${ttl}`)
  assert.equal(await probe.exists(`${NS}l:k6`), 0, 'the lock went with the fill')
  await sleep(350)
  assert.equal(await a.peek('k6'), undefined)
})

test('a logout reaches every other proxy before evict resolves, and a silent subscriber holds it at most ~1 s', async (t) => {
  const redis = await server(t)
  const [a, b, c] = [await openLevel(t, redis), await openLevel(t, redis), await openLevel(t, redis)]
  const seen: string[] = []
  b.onEvicted((keys) => seen.push(`b:${keys.join(',')}`))
  c.onEvicted((keys) => seen.push(`c:${keys.join(',')}`))
  a.onEvicted((keys) => seen.push(`a:${keys.join(',')}`))
  let started = Date.now()
  await a.evict(['x', 'y'])
  assert.deepEqual(seen.sort(), ['b:x,y', 'c:x,y'], 'every other proxy, not the evicting one')
  assert.ok(Date.now() - started < 500, `acknowledged in ${Date.now() - started} ms`)

  // A subscriber that never acknowledges (a proxy stuck or gone without unsubscribing).
  const silent = redis.client()
  await silent.subscribe(`${NS}evicted`)
  started = Date.now()
  await a.evict(['z'])
  const waited = Date.now() - started
  assert.ok(waited >= 900 && waited < 2_000, `bounded wait: ${waited} ms`)
})

test('Redis gone: every call answers at once as an empty level; a pending waiter goes alone when the connection drops', async (t) => {
  const redis = await server(t)
  const lines: string[] = []
  const [a, b] = [await openLevel(t, redis, lines), await openLevel(t, redis)]
  assert.equal((await a.claim('k7', 10_000)).kind, 'lead')
  const waiting = b.claim('k7', 10_000)
  await sleep(50)
  const started = Date.now()
  await redis.stop()
  assert.equal((await waiting).kind, 'alone')
  assert.ok(Date.now() - started < 1_000, `the waiter was let go after ${Date.now() - started} ms`)

  const timed = async <T>(what: string, call: () => Promise<T> | void) => {
    const begun = Date.now()
    const result = await call()
    assert.ok(Date.now() - begun < 100, `${what} took ${Date.now() - begun} ms`)
    return result
  }
  assert.equal(((await timed('claim', () => a.claim('k8', 3_000))) as { kind: string }).kind, 'alone')
  assert.equal(await timed('peek', () => a.peek('k8')), undefined)
  await timed('fill', () => a.fill('k8', answer('x'), undefined))
  await timed('fill with lease', () => a.fill('k8', answer('x'), 'lease'))
  await timed('release', () => a.release('k8', 'lease'))
  await timed('evict', () => a.evict(['k8']))
  await until(() => lines.some((line) => line.includes('unreachable')), 'the warning')
  assert.equal(lines.filter((line) => line.includes('unreachable')).length, 1, 'warned once, not per reconnect attempt')
  assert.match(lines.join(''), new RegExp(`session store redis://127\\.0\\.0\\.1:${redis.port}/0 unreachable( \\(\\w+\\))?: serving from the local cache`))

  // Back on the same port: used again without a new level.
  await redis.start()
  await until(() => lines.some((line) => line.includes('is back: sessions are shared again')), 'the level reconnecting', 10_000)
  const lead = await a.claim('k9', 3_000)
  assert.equal(lead.kind, 'lead')
  a.fill('k9', answer('back'), (lead as { lease: string }).lease)
  await eventually(async () => (await b.claim('k9', 3_000)).kind === 'answer', 'the other level sharing again')
  // Both event connections subscribed again: a logout reaches the other level.
  const probe = redis.client()
  await eventually(async () => ((await probe.pubsub('NUMSUB', `${NS}evicted`)) as [string, number])[1] >= 2, 'both levels subscribing again')
  const evicted: string[] = []
  b.onEvicted((keys) => evicted.push(...keys))
  await a.evict(['k9'])
  assert.deepEqual(evicted, ['k9'])
  assert.equal(await b.peek('k9'), undefined)
})

test('a hung Redis (stopped with SIGSTOP) delays a claim by at most the command timeout', async (t) => {
  const redis = await server(t)
  const a = await openLevel(t, redis)
  redis.pause()
  t.after(() => redis.resume())
  for (let i = 0; i < 3; i++) {
    const started = Date.now()
    assert.equal((await a.claim(`hung-${i}`, 3_000)).kind, 'alone')
    assert.ok(Date.now() - started < 400, `claim ${i} took ${Date.now() - started} ms`)
  }
  redis.resume()
})

test('close ends both connections promptly, even with Redis hung', async (t) => {
  const redis = await server(t)
  const a = await openLevel(t, redis)
  redis.pause()
  t.after(() => redis.resume())
  const started = Date.now()
  await a.close()
  assert.ok(Date.now() - started < 600, `closed in ${Date.now() - started} ms`)
})
