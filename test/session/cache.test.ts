import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { request } from 'undici'
import { generateSigningKey } from '../../src/session/keys.js'
import { MemorySessionLevel } from '../../src/session/memory-level.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'

test('100 sequential requests with one cookie make 1 whoami call and reuse one signed token', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000 })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const jtis = new Set<string>()
  for (let i = 0; i < 100; i++) {
    const { view } = await viewThrough(proxy, `/n/${i}`, { cookie: 'ory_session_x=A' })
    assert.equal(view!.claims!.sub, 'identity-a')
    jtis.add(view!.claims!.jti!)
  }
  assert.equal(ory.whoamiCalls.length, 1)
  assert.equal(jtis.size, 1, 'a warm cache signs nothing')
})

test('200 concurrent requests with a new cookie share 1 whoami call', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  ory.setMode('delay', 200)
  const views = await Promise.all(
    Array.from({ length: 200 }, () => viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })),
  )
  assert.equal(ory.whoamiCalls.length, 1)
  for (const { view } of views) assert.equal(view!.claims!.sub, 'identity-a')
})

test('users A and B at once: one call each, and each gets only their own sub', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  ory.addCookieSession('ory_session_x', 'B', 'identity-b')
  ory.setMode('delay', 100)
  const users = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 'A' : 'B'))
  const views = await Promise.all(users.map((user) => viewThrough(proxy, '/', { cookie: `ory_session_x=${user}` })))
  users.forEach((user, i) => assert.equal(views[i]!.view!.claims!.sub, `identity-${user.toLowerCase()}`))
  assert.equal(ory.whoamiCalls.length, 2)
})

test('interleaved A, B, token C and anonymous requests never see each other (checklist e1)', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  ory.addCookieSession('ory_session_x', 'B', 'identity-b')
  ory.addTokenSession('token-c', 'identity-c')
  const kinds = ['A', 'B', 'C', 'anonymous'] as const
  const plan = Array.from({ length: 400 }, (_, i) => kinds[(i * 7 + Math.floor(i / 3)) % 4]!)
  const headersOf = (kind: (typeof kinds)[number]): Record<string, string> =>
    kind === 'C' ? { 'x-session-token': 'token-c' } : kind === 'anonymous' ? {} : { cookie: `ory_session_x=${kind}` }
  const views = await Promise.all(plan.map((kind) => viewThrough(proxy, '/', headersOf(kind))))
  plan.forEach((kind, i) => {
    const view = views[i]!.view!
    if (kind === 'anonymous') assert.deepEqual(view.authorization, [])
    else assert.equal(view.claims!.sub, `identity-${kind.toLowerCase()}`)
  })
  assert.equal(ory.whoamiCalls.length, 3)
})

test('two proxies sharing a key and a session store in front of two Ory instances never share an answer (checklist e1)', async (t) => {
  const key = generateSigningKey()
  const shared = new MemorySessionLevel(100)
  const first = await startSessionProxy(t, { key, shared })
  const second = await startSessionProxy(t, { key, shared })
  // The same cookie name and value reach both (a localhost cookie goes to every port); only the first Ory knows it.
  first.ory.addCookieSession('ory_kratos_session', 'A', 'identity-a')
  const fromFirst = await viewThrough(first.proxy, '/', { cookie: 'ory_kratos_session=A' })
  assert.equal(fromFirst.view!.claims!.sub, 'identity-a')
  const fromSecond = await viewThrough(second.proxy, '/', { cookie: 'ory_kratos_session=A' })
  assert.deepEqual(fromSecond.view!.authorization, [], 'the second Ory does not know the cookie: anonymous')
  assert.equal(second.ory.whoamiCalls.length, 1, 'the second proxy asked its own Ory')
  // Each proxy still shares with one that asks the same Ory.
  const third = await startSessionProxy(t, { key, shared, oryUrl: first.ory.url })
  const fromThird = await viewThrough(third.proxy, '/', { cookie: 'ory_kratos_session=A' })
  assert.equal(fromThird.view!.claims!.sub, 'identity-a')
  assert.equal(first.ory.whoamiCalls.length, 1, 'the third proxy took the first one’s answer')
})

test('a request with X-Session-Token for C, then one with no credentials: the second gets no JWT and no whoami call', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addTokenSession('token-c', 'identity-c')
  const first = await viewThrough(proxy, '/', { 'x-session-token': 'token-c' })
  assert.equal(first.view!.claims!.sub, 'identity-c')
  const second = await viewThrough(proxy, '/', {})
  assert.deepEqual(second.view!.authorization, [])
  assert.equal(ory.whoamiCalls.length, 1)
})

test('Authorization: Bearer <session token> is a credential; other schemes are not', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addTokenSession('token-c', 'identity-c')
  const bearer = await viewThrough(proxy, '/', { authorization: 'Bearer token-c' })
  assert.equal(bearer.view!.claims!.sub, 'identity-c')
  assert.deepEqual(ory.whoamiCalls[0]!.headers.authorization, ['Bearer token-c'])
  const basic = await viewThrough(proxy, '/', { authorization: 'Basic dXNlcjpwYXNz' })
  assert.deepEqual(basic.view!.authorization, [])
  assert.equal(ory.whoamiCalls.length, 1)
})

test('cookie order and unrelated cookies do not change the answer, on a miss or a hit', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const miss = await viewThrough(proxy, '/', { cookie: 'other=1; ory_session_x=A' })
  const hit = await viewThrough(proxy, '/', { cookie: 'ory_session_x=A; other=1' })
  const split = await request(`${proxy.url}/`, { headers: ['cookie', 'other=2', 'cookie', 'ory_session_x=A'] })
  const splitView = (await split.body.json()) as { claims: { sub: string } }
  assert.equal(miss.view!.claims!.sub, 'identity-a')
  assert.equal(hit.view!.claims!.sub, 'identity-a')
  assert.equal(splitView.claims.sub, 'identity-a')
  assert.equal(ory.whoamiCalls.length, 1)
  assert.deepEqual(ory.whoamiCalls[0]!.headers.cookie, ['ory_session_x=A'])
})

test('the cache holds --session-cache-size entries, least recently used out first', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheSize: 2 })
  for (const user of ['A', 'B', 'C']) ory.addCookieSession('ory_session_x', user, `identity-${user}`)
  for (const user of ['A', 'B', 'A', 'C', 'A', 'B']) {
    await viewThrough(proxy, '/', { cookie: `ory_session_x=${user}` })
  }
  // A miss, B miss, A hit, C miss (evicts B), A hit, B miss.
  assert.equal(ory.whoamiCalls.length, 4)
})

test('--session-cache-ttl 0 asks whoami on every request', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 0 })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  for (let i = 0; i < 3; i++) {
    assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!.sub, 'identity-a')
  }
  assert.equal(ory.whoamiCalls.length, 3)
})

test('errors are never cached: the first request after Ory recovers gets its JWT', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  ory.setMode('status-500')
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).status, 503)
  ory.setMode('ok')
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!.sub, 'identity-a')
})

test('a token is re-signed from the cached session once 90% of its lifetime has passed, without asking whoami', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000, tokenLifetimeS: 2 })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const first = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!
  await sleep((first.iat! + 1.8) * 1000 - Date.now() + 50)
  const second = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!
  assert.notEqual(second.jti, first.jti)
  assert.equal(second.sub, 'identity-a')
  assert.ok(second.exp! > first.exp!)
  assert.equal(ory.whoamiCalls.length, 1)
})

test('tokens signed together renew spread over 75–90% of their lifetime, never sooner', async (t) => {
  const LIFETIME_S = 20
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000, tokenLifetimeS: LIFETIME_S, renewBesideMinMs: 100 })
  const cookies = Array.from({ length: 30 }, (_, i) => {
    ory.addCookieSession('ory_session_x', `S${i}`, `identity-${i}`)
    return { cookie: `ory_session_x=S${i}` }
  })
  const viewAll = () => Promise.all(cookies.map(async (cookie) => (await viewThrough(proxy, '/', cookie)).view!.claims!.jti))
  const first = await viewAll()
  const iat = Date.now() / 1000
  // Until 75% of the lifetime every token is still the first one.
  await sleep((iat + 0.72 * LIFETIME_S) * 1000 - Date.now())
  assert.deepEqual(await viewAll(), first)
  // Then poll: when does each session first get its successor?
  const renewedAt: Array<number | undefined> = first.map(() => undefined)
  while (renewedAt.includes(undefined) && Date.now() < (iat + 0.95 * LIFETIME_S) * 1000) {
    const now = Date.now()
    ;(await viewAll()).forEach((jti, i) => {
      if (jti !== first[i] && renewedAt[i] === undefined) renewedAt[i] = now
    })
    await sleep(50)
  }
  assert.ok(!renewedAt.includes(undefined), 'every token renewed by 90% of its lifetime')
  const times = renewedAt as number[]
  // Renewal points drawn over 3 s (75–90% of 20 s); in one wave they would land within a poll or two.
  assert.ok(Math.max(...times) - Math.min(...times) >= 1500, `renewals spread over ${Math.max(...times) - Math.min(...times)} ms`)
  assert.equal(ory.whoamiCalls.length, 30, 'renewals sign from the cache, no whoami')
})

test('a token due for renewal with time left is still sent while its successor is signed beside', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000, tokenLifetimeS: 2, renewBesideMinMs: 100 })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const cookie = { cookie: 'ory_session_x=A' }
  const first = (await viewThrough(proxy, '/', cookie)).view!.claims!
  // Past 90% of the lifetime (1.8 s), with 150 ms of validity left: more than the 100 ms asked for.
  await sleep((first.iat! + 1.85) * 1000 - Date.now())
  const due = (await viewThrough(proxy, '/', cookie)).view!.claims!
  assert.equal(due.jti, first.jti, 'the valid token is sent without waiting for its successor')
  // The successor arrives before the old token's exp: it was signed beside, not on demand at expiry.
  let next = first
  for (let requests = 0; next.jti === first.jti; requests++) {
    assert.ok(Date.now() < first.exp! * 1000, 'renewed before the old token expired')
    assert.ok(requests < 50)
    next = (await viewThrough(proxy, '/', cookie)).view!.claims!
  }
  assert.equal(next.sub, 'identity-a')
  assert.ok(next.exp! > first.exp!)
  assert.equal(ory.whoamiCalls.length, 1, 'renewals sign from the cached session')
})

test('a revoked session gets no JWT once the cache TTL has passed (checklist e2)', async (t) => {
  const ttl = 300
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: ttl })
  for (let round = 0; round < 3; round++) {
    const session = ory.addCookieSession('ory_session_x', `R${round}`, 'identity-r')
    const cookie = { cookie: `ory_session_x=R${round}` }
    assert.equal((await viewThrough(proxy, '/', cookie)).view!.claims!.sub, 'identity-r')
    session.revoked = true
    const revokedAt = Date.now()
    // Requests for a while after the revocation: any JWT must come from a request started within the TTL.
    for (let started = Date.now(); started < revokedAt + ttl + 200; started = Date.now()) {
      const { view } = await viewThrough(proxy, '/', cookie)
      if (view!.authorization.length > 0) assert.ok(started <= revokedAt + ttl + 20, `JWT ${started - revokedAt} ms after revocation`)
    }
    assert.deepEqual((await viewThrough(proxy, '/', cookie)).view!.authorization, [])
  }
})

test('a session that expires gets no JWT after expires_at, whatever the cache TTL', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000 })
  const session = ory.addCookieSession('ory_session_x', 'A', 'identity-a', { expiresInMs: 1_500 })
  const first = (await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!
  assert.ok(first.exp! <= Math.floor(session.expiresAt / 1000))
  await sleep(session.expiresAt - Date.now() + 20)
  assert.deepEqual((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.authorization, [])
})

test('a browser logout through the proxy evicts that session at once', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000 })
  const session = ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!.sub, 'identity-a')
  const logout = await request(`${proxy.url}/.ory/self-service/logout?token=logout-${session.id}`, {
    headers: { cookie: 'ory_session_x=A' },
  })
  await logout.body.dump()
  assert.equal(logout.statusCode, 303)
  assert.deepEqual((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.authorization, [])
  assert.equal(ory.whoamiCalls.length, 2)
})

test('an API logout through the proxy evicts the token it names, sent either way', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000 })
  ory.addTokenSession('token-c', 'identity-c')
  assert.equal((await viewThrough(proxy, '/', { 'x-session-token': 'token-c' })).view!.claims!.sub, 'identity-c')
  assert.equal((await viewThrough(proxy, '/', { authorization: 'Bearer token-c' })).view!.claims!.sub, 'identity-c')
  const logout = await request(`${proxy.url}/.ory/self-service/logout/api`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_token: 'token-c' }),
  })
  await logout.body.dump()
  assert.equal(logout.statusCode, 204)
  assert.deepEqual((await viewThrough(proxy, '/', { 'x-session-token': 'token-c' })).view!.authorization, [])
  assert.deepEqual((await viewThrough(proxy, '/', { authorization: 'Bearer token-c' })).view!.authorization, [])
})

test('a logout Ory refuses evicts nothing', async (t) => {
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 60_000 })
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })
  const logout = await request(`${proxy.url}/.ory/self-service/logout?token=wrong`, { headers: { cookie: 'ory_session_x=A' } })
  await logout.body.dump()
  assert.equal(logout.statusCode, 401)
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=A' })).view!.claims!.sub, 'identity-a')
  assert.equal(ory.whoamiCalls.length, 1)
})
