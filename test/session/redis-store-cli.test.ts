import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { request } from 'undici'
import { expectUsageError, runCli, spawnCli, waitForStderr, type RunningCli } from '../helpers/cli.js'
import { startFakeOry, type FakeOry } from '../helpers/ory.js'
import { startRedis, type RedisServer } from '../helpers/redis.js'
import { tempDir } from '../helpers/temp-dir.js'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { freePort, startUpstream, type Upstream } from '../helpers/upstream.js'

/** `args` end in one `ory-proxy: …` line matching `pattern` and exit code 2, naming no password ("secret"). */
async function expectOneLine(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
  const result = await runCli([...args, '--port', String(await freePort())], env)
  assert.equal(result.code, 2, result.stderr)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0]!, /^ory-proxy: /)
  assert.match(lines[0]!, pattern)
  assert.ok(!result.stderr.includes('secret'), `no password in: ${result.stderr}`)
}

interface Instance {
  readonly cli: RunningCli
  readonly url: string
}

/** One `ory-proxy start` sharing `store`, with a minute-long cache so only logouts and Redis end entries. */
async function startInstance(
  t: TestContext,
  app: Upstream,
  ory: FakeOry,
  store: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Instance> {
  const port = await freePort()
  const cli = await spawnCli(
    t,
    ['start', app.url, '--sdk-url', ory.url, '--port', String(port), '--session-store', store, '--session-cache-ttl', '60s', ...extra],
    'listening on port',
    env,
  )
  return { cli, url: `http://127.0.0.1:${port}` }
}

/** What the app saw of a request through `instance`: the status and its one Authorization (or none). */
async function through(instance: Instance, headers: Record<string, string>, path = '/'): Promise<{ status: number; authorization: string | undefined }> {
  const response = await request(instance.url + path, { headers })
  const text = await response.body.text()
  if (response.statusCode !== 200) return { status: response.statusCode, authorization: undefined }
  const { rawHeaders } = JSON.parse(text) as { rawHeaders: string[] }
  const values = rawHeaders.filter((_, i) => i % 2 === 1 && rawHeaders[i - 1]!.toLowerCase() === 'authorization')
  assert.ok(values.length <= 1, 'at most one Authorization reaches the app')
  return { status: 200, authorization: values[0] }
}

async function jwksOf(instance: Instance): Promise<JSONWebKeySet> {
  return (await (await request(`${instance.url}/.ory/jwks.json`)).body.json()) as JSONWebKeySet
}

/** Resolves once Redis counts `count` proxies (or workers) listening for evictions under `kid`. */
async function subscribed(redis: RedisServer, kid: string, count: number): Promise<void> {
  const client = redis.client()
  const deadline = Date.now() + 5_000
  for (;;) {
    const [, listening] = (await client.pubsub('NUMSUB', `ory-proxy:v1:${kid}:evicted`)) as [string, number]
    if (listening >= count) break
    if (Date.now() > deadline) throw new Error(`only ${listening} of ${count} proxies subscribed`)
    await sleep(10)
  }
  client.disconnect()
}

async function twoInstances(t: TestContext, options: { password?: string } = {}) {
  const redis = await startRedis(t, options)
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const a = await startInstance(t, app, ory, redis.url)
  const b = await startInstance(t, app, ory, redis.url)
  const kid = (await jwksOf(a)).keys[0]!.kid!
  await subscribed(redis, kid, 2)
  return { redis, app, ory, a, b, kid }
}

test('two proxies sharing one Redis: one whoami call for a cookie between them, one key, and nothing raw in Redis', async (t) => {
  const { redis, ory, a, b } = await twoInstances(t)
  ory.addCookieSession('ory_session_shared', 'cookie-secret-A', 'identity-a')
  ory.addTokenSession('token-secret-C', 'identity-c')

  const jwksA = await jwksOf(a)
  const jwksB = await jwksOf(b)
  assert.deepEqual(jwksA, jwksB, 'both publish the key the first one stored')
  assert.ok(!JSON.stringify(jwksA).includes('"d"'))

  const first = await through(a, { cookie: 'ory_session_shared=cookie-secret-A' })
  const second = await through(b, { cookie: 'ory_session_shared=cookie-secret-A' })
  for (let i = 0; i < 5; i++) await through(i % 2 ? a : b, { cookie: 'ory_session_shared=cookie-secret-A' })
  assert.equal(ory.whoamiCalls.length, 1, 'one whoami call between the two proxies')
  assert.equal(second.authorization, first.authorization, "B sends the token A signed (Redis' entry)")
  // A token of A verifies with B's JWKS, as an app behind B would check it.
  const { payload } = await jwtVerify(first.authorization!.slice(7), createLocalJWKSet(jwksB), { algorithms: ['ES256'], issuer: ory.url })
  assert.equal(payload.sub, 'identity-a')

  await through(b, { 'x-session-token': 'token-secret-C' })
  await through(a, { 'x-session-token': 'token-secret-C' })
  assert.equal(ory.whoamiCalls.length, 2)

  // What Redis holds: the key, and entries under hashed keys; never a cookie or token.
  const client = redis.client()
  const keys = await client.keys('*')
  const { kid } = decodeProtectedHeader(first.authorization!.slice(7))
  assert.ok(keys.includes('ory-proxy:v1:signing-key'))
  const entries = keys.filter((key) => key.startsWith(`ory-proxy:v1:${kid}:e:`))
  assert.equal(entries.length, 2, `entries: ${keys.join(' ')}`)
  const everything = keys.join('\n') + (await Promise.all(keys.map((key) => client.get(key)))).join('\n')
  for (const secret of ['cookie-secret-A', 'token-secret-C', 'ory_session_shared']) {
    assert.ok(!everything.includes(secret), `${secret} is not in Redis`)
  }
  for (const key of entries) {
    const ttl = await client.pttl(key)
    assert.ok(ttl > 50_000 && ttl <= 60_000, `an entry lives for the cache TTL (PX ${ttl})`)
  }
})

test('concurrent first requests with one new cookie, split over both proxies, make one whoami call', async (t) => {
  const { ory, a, b } = await twoInstances(t)
  ory.addCookieSession('ory_session_x', 'burst', 'identity-burst')
  ory.setMode('delay', 300)
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => through(i % 2 ? a : b, { cookie: 'ory_session_x=burst' })))
  assert.equal(ory.whoamiCalls.length, 1)
  for (const result of results) {
    assert.equal(result.status, 200)
    assert.ok(result.authorization?.startsWith('Bearer '))
  }
  assert.equal(new Set(results.map((result) => result.authorization)).size, 1, 'one token, from the one leader')
})

test('a logout through A: the next request through B is anonymous (browser and API logouts)', async (t) => {
  const { ory, a, b } = await twoInstances(t)
  const session = ory.addCookieSession('ory_session_x', 'leaving', 'identity-l')
  ory.addTokenSession('token-leaving', 'identity-t')
  // Both proxies hold hot copies first.
  for (const instance of [a, b, a, b]) {
    assert.ok((await through(instance, { cookie: 'ory_session_x=leaving' })).authorization)
    assert.ok((await through(instance, { 'x-session-token': 'token-leaving' })).authorization)
  }
  assert.equal(ory.whoamiCalls.length, 2)

  const logout = await request(`${a.url}/.ory/self-service/logout?token=logout-${session.id}`, { headers: { cookie: 'ory_session_x=leaving' } })
  await logout.body.dump()
  assert.equal(logout.statusCode, 303)
  assert.deepEqual(await through(b, { cookie: 'ory_session_x=leaving' }), { status: 200, authorization: undefined })

  const apiLogout = await request(`${a.url}/.ory/self-service/logout/api`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_token: 'token-leaving' }),
  })
  await apiLogout.body.dump()
  assert.equal(apiLogout.statusCode, 204)
  assert.deepEqual(await through(b, { 'x-session-token': 'token-leaving' }), { status: 200, authorization: undefined })
  assert.deepEqual(await through(a, { 'x-session-token': 'token-leaving' }), { status: 200, authorization: undefined })
})

test('Redis stopped under load costs no request; restarted on its port, it is shared again without restarting the proxies', async (t) => {
  const { redis, ory, a, b } = await twoInstances(t)
  // Each phase brings 10 new sessions, so some requests always miss the hot caches and need Redis or Ory.
  for (const phase of ['up', 'stopping', 'down']) {
    for (let user = 0; user < 10; user++) ory.addCookieSession('ory_session_x', `${phase}${user}`, `identity-${phase}${user}`)
  }
  const failures: string[] = []
  let sent = 0
  const deadline = Date.now() + 30_000
  const load = async (phase: string, rounds: number) => {
    for (let i = 0; i < rounds && Date.now() < deadline; i++) {
      const user = `${phase}${i % 10}`
      // Every session goes through both proxies (they alternate, shifted by one every 10 requests).
      const result = await through((i + Math.floor(i / 10)) % 2 ? a : b, { cookie: `ory_session_x=${user}` }, `/load/${sent++}`)
      if (result.status !== 200 || result.authorization === undefined) failures.push(`${result.status} for ${user}`)
    }
  }
  await load('up', 100)
  const callsUp = ory.whoamiCalls.length
  assert.equal(callsUp, 10, 'one call per session while Redis is up')

  const stopped = redis.stop()
  // Requests keep flowing while Redis goes away and while it is gone.
  await Promise.all([load('stopping', 200), stopped])
  await load('down', 100)
  await load('up', 100)
  assert.equal(sent, 500, 'the loop ran to its end within its time bound')
  assert.deepEqual(failures, [], `${failures.length} failed of ${sent}`)
  const callsDown = ory.whoamiCalls.length - callsUp
  t.diagnostic(`${sent} requests, 0 failed; whoami calls: ${callsUp} for 10 sessions with Redis up, ${callsDown} for 20 new ones while it went away`)
  // Alone, each proxy asks Ory once per new session (its own hot cache serves the rest): 20 for the
  // 10 sessions made while Redis was down, 10 to 20 for those made while it went away.
  assert.ok(callsDown >= 30 && callsDown <= 40, `${callsDown} whoami calls while Redis was down`)
  for (const instance of [a, b]) await waitForStderr(instance.cli, /session store redis:\/\/127\.0\.0\.1:\d+\/0 unreachable/)

  await redis.start()
  for (const instance of [a, b]) await waitForStderr(instance.cli, /session store .* is back: sessions are shared again/)
  ory.addCookieSession('ory_session_x', 'after', 'identity-after')
  const calls = ory.whoamiCalls.length
  assert.ok((await through(a, { cookie: 'ory_session_x=after' })).authorization)
  assert.ok((await through(b, { cookie: 'ory_session_x=after' })).authorization)
  assert.equal(ory.whoamiCalls.length, calls + 1, 'shared again: one call for the new cookie')
  // The key went with Redis' data; the proxies wrote it back, so a proxy started now signs with it.
  const client = redis.client()
  const stored = JSON.parse((await client.get('ory-proxy:v1:signing-key'))!) as { kid: string }
  assert.equal(stored.kid, (await jwksOf(a)).keys[0]!.kid)
})

test('a hung Redis (SIGSTOP) holds no request: new sessions are asked of Ory after the short command timeout', async (t) => {
  const { redis, ory, a, b } = await twoInstances(t)
  for (let user = 0; user < 6; user++) ory.addCookieSession('ory_session_x', `hung${user}`, `identity-hung${user}`)
  redis.pause()
  t.after(() => redis.resume())
  for (let user = 0; user < 6; user++) {
    const started = Date.now()
    const result = await through(user % 2 ? a : b, { cookie: `ory_session_x=hung${user}` })
    assert.ok(result.authorization, `request ${user} signed in`)
    assert.ok(Date.now() - started < 1_000, `request ${user} took ${Date.now() - started} ms`)
  }
  assert.equal(ory.whoamiCalls.length, 6)
})

test('a cluster (--workers 2) and a single proxy share one Redis: one whoami call, one key', async (t) => {
  const redis = await startRedis(t)
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const a = await startInstance(t, app, ory, redis.url, ['--workers', '2'])
  const b = await startInstance(t, app, ory, redis.url)
  assert.deepEqual(await jwksOf(a), await jwksOf(b))
  const kid = (await jwksOf(a)).keys[0]!.kid!
  await subscribed(redis, kid, 3)
  ory.addCookieSession('ory_session_x', 'cluster', 'identity-cluster')
  for (let i = 0; i < 6; i++) assert.ok((await through(i % 3 ? a : b, { cookie: 'ory_session_x=cluster' })).authorization)
  assert.equal(ory.whoamiCalls.length, 1)
  a.cli.child.kill('SIGTERM')
  assert.equal(await a.cli.exited, 0)
})

test('Redis down at start: one warning naming the store (no password), and requests are served', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const port = await freePort()
  const instance = await startInstance(t, app, ory, `redis://:hunter2@127.0.0.1:${port}/0`)
  const warnings = instance.cli.stderr.split('\n').filter((line) => line.includes('warning'))
  assert.equal(warnings.length, 1, instance.cli.stderr)
  assert.match(warnings[0]!, new RegExp(`session store redis://:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/0 unreachable at start: serving from the local cache until it is back`))
  assert.ok(!instance.cli.stderr.includes('hunter2'), 'the password is never printed')
  assert.match(instance.cli.stderr, /sessions shared through redis:\/\/:\*\*\*\*@127\.0\.0\.1/)
  for (let i = 0; i < 3; i++) assert.ok((await through(instance, { cookie: 'ory_session_x=A' })).authorization)
  assert.equal(ory.whoamiCalls.length, 1, 'the local cache serves')
  const started = Date.now()
  instance.cli.child.kill('SIGTERM')
  assert.equal(await instance.cli.exited, 0)
  assert.ok(Date.now() - started < 2_000, `exited ${Date.now() - started} ms after SIGTERM`)
})

test('SIGTERM: a proxy connected to Redis exits promptly, and so does one whose Redis is hung', async (t) => {
  const { redis, ory, a, b } = await twoInstances(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  await through(a, { cookie: 'ory_session_x=A' })
  let started = Date.now()
  a.cli.child.kill('SIGTERM')
  assert.equal(await a.cli.exited, 0)
  assert.ok(Date.now() - started < 1_500, `exited ${Date.now() - started} ms after SIGTERM`)

  redis.pause()
  t.after(() => redis.resume())
  started = Date.now()
  b.cli.child.kill('SIGTERM')
  assert.equal(await b.cli.exited, 0)
  assert.ok(Date.now() - started < 1_500, `exited ${Date.now() - started} ms after SIGTERM with Redis hung`)
})

test('a refused login or a missing database is one line and exit code 2, the password never shown', { concurrency: 3 }, async (t) => {
  const redis = await startRedis(t, { password: 'right-secret' })
  const start = (store: string, pattern: RegExp) =>
    expectOneLine(['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--session-store', store], pattern)
  await Promise.all([
    t.test('wrong password', () =>
      start(`redis://:wrong-secret@127.0.0.1:${redis.port}/0`, /^ory-proxy: session store redis:\/\/:\*\*\*\*@127\.0\.0\.1:\d+\/0 refused the login \(WRONGPASS\): check the user and password$/),
    ),
    t.test('no password', () => start(`redis://127.0.0.1:${redis.port}/0`, /session store redis:\/\/127\.0\.0\.1:\d+\/0 refused the login \(NOAUTH\)/)),
    t.test('no such database', () =>
      start(`redis://:right-secret@127.0.0.1:${redis.port}/99`, /session store redis:\/\/:\*\*\*\*@127\.0\.0\.1:\d+\/99 has no database 99/),
    ),
  ])
})

test('a signing key in the store that is not one (damaged, or written by something else) is one line and exit code 2, left as it is', async (t) => {
  const redis = await startRedis(t)
  const client = redis.client()
  await client.set('ory-proxy:v1:signing-key', 'nonsense')
  await expectOneLine(
    ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--session-store', redis.url],
    /^ory-proxy: the signing key in session store redis:\/\/127\.0\.0\.1:\d+\/0 \(ory-proxy:v1:signing-key\) is not JSON/,
  )
  assert.equal(await client.get('ory-proxy:v1:signing-key'), 'nonsense')
})

test('rediss://: TLS verified against the store name (trusted: shared); an untrusted certificate is one line, exit 2', async (t) => {
  const tls = createDevCertificate()
  const redis = await startRedis(t, { tls, password: 'tls-secret' })
  const ca = join(tempDir(t), 'redis-ca.pem')
  writeFileSync(ca, tls.cert)
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const a = await startInstance(t, app, ory, redis.url, [], { NODE_EXTRA_CA_CERTS: ca })
  const b = await startInstance(t, app, ory, redis.url, [], { NODE_EXTRA_CA_CERTS: ca })
  assert.doesNotMatch(a.cli.stderr + b.cli.stderr, /warning/)
  assert.match(a.cli.stderr, /sessions shared through rediss:\/\/:\*\*\*\*@localhost:\d+\/0/)
  ory.addCookieSession('ory_session_x', 'tls', 'identity-tls')
  assert.ok((await through(a, { cookie: 'ory_session_x=tls' })).authorization)
  assert.ok((await through(b, { cookie: 'ory_session_x=tls' })).authorization)
  assert.equal(ory.whoamiCalls.length, 1)

  await expectOneLine(
    ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--session-store', redis.url],
    /^ory-proxy: session store rediss:\/\/:\*\*\*\*@localhost:\d+\/0 has a TLS certificate this proxy does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT\): give its CA in NODE_EXTRA_CA_CERTS$/,
  )
})

test('with the right password the store is used, and neither banner nor logs show the password', async (t) => {
  const redis = await startRedis(t, { password: 'p@ss:w/rd' })
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const instance = await startInstance(t, app, ory, redis.url)
  assert.ok(!instance.cli.stderr.includes('p@ss') && !instance.cli.stderr.includes('p%40ss'), instance.cli.stderr)
  assert.match(instance.cli.stderr, /sessions shared through redis:\/\/:\*\*\*\*@127\.0\.0\.1:\d+\/0/)
  const stored = await redis.client().get('ory-proxy:v1:signing-key')
  assert.equal((JSON.parse(stored!) as { kid: string }).kid, (await jwksOf(instance)).keys[0]!.kid)
})

test('bad --session-store values are one line and exit code 2, before anything starts', { concurrency: 4 }, async (t) => {
  const cases: Array<[string, string[], RegExp]> = [
    ['not a URL', ['--session-store', 'localhost:6379'], /--session-store must be a redis:\/\/ or rediss:\/\/ URL: .*, got a localhost: URL$/],
    ['unparsable', ['--session-store', 'redis://:secret@[bad'], /^ory-proxy: --session-store must be a redis:\/\/ or rediss:\/\/ URL: redis\[s\]:\/\/\[\[user\]:password@\]host\[:port\]\[\/db\]$/],
    ['another scheme', ['--session-store', 'memcached://127.0.0.1:11211'], /got a memcached: URL/],
    ['no host', ['--session-store', 'redis:///0'], /--session-store has no host: redis:\/\/\/0$/],
    ['a path', ['--session-store', 'redis://:secret@127.0.0.1/cache'], /path must be a database number, e.g. \/0: redis:\/\/:\*\*\*\*@127\.0\.0\.1\/cache/],
    ['a query', ['--session-store', 'redis://127.0.0.1/0?password=secret'], /takes no query or fragment/],
    ['with --no-jwt', ['--no-jwt', '--session-store', 'redis://127.0.0.1/0'], /--session-store needs JWTs; remove it or --no-jwt/],
  ]
  await Promise.all(
    cases.map(([name, args, pattern]) =>
      t.test(name, () => expectOneLine(['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', ...args], pattern)),
    ),
  )
  await t.test('ORY_PROXY_SESSION_STORE with --no-jwt', () =>
    expectUsageError(['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--no-jwt'], /ORY_PROXY_SESSION_STORE \(--session-store\) needs JWTs/, {
      ORY_PROXY_SESSION_STORE: 'redis://127.0.0.1:6379/0',
    }),
  )
})
