import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CachedAnswer } from '../../src/session/cached-answer.js'
import { SessionCache } from '../../src/session/session-cache.js'
import { TokenSlab } from '../../src/session/token-slab.js'
import { TtlCache } from '../../src/session/ttl-cache.js'

const token = (n: number, length = 1_846) => `Bearer ${String(n).padStart(8, '0')}.`.padEnd(length, 'x')

test('TokenSlab: tokens read back byte for byte; a freed slot takes the next token of its size', () => {
  const slab = new TokenSlab()
  const a = slab.store(token(1))
  const b = slab.store(token(2))
  const short = slab.store(token(3, 40))
  assert.equal(slab.read(a, 1_846), token(1))
  assert.equal(slab.read(b, 1_846), token(2))
  assert.equal(slab.read(short, 40), token(3, 40))
  const pages = slab.bytes
  slab.release(a, 1_846)
  const c = slab.store(token(4, 1_850))
  assert.equal(c, a, 'the slot of a token of the same size class')
  assert.equal(slab.read(c, 1_850), token(4, 1_850))
  assert.equal(slab.read(b, 1_846), token(2))
  assert.equal(slab.bytes, pages)
})

test('TokenSlab: pages hold a whole number of slots; thousands of tokens take their rounded size', () => {
  const slab = new TokenSlab()
  const slots = Array.from({ length: 5_000 }, (_, n) => slab.store(token(n)))
  slots.forEach((slot, n) => assert.equal(slab.read(slot, 1_846), token(n)))
  // 1,846 bytes → 1,856-byte slots, 141 to a 256 KiB page: 36 pages.
  assert.equal(slab.bytes, 36 * 141 * 1_856)
  assert.ok(slab.bytes < 5_000 * 1_846 * 1.04)
})

test('TtlCache: every value that leaves is handed to onRemoved (expired, pushed out, replaced, deleted)', () => {
  const removed: string[] = []
  const evicted: string[] = []
  const cache = new TtlCache<{ expiresAt: number; name: string }>(2, (reason) => evicted.push(reason), (value) => removed.push(value.name))
  cache.set('a', { expiresAt: 10, name: 'a' })
  cache.set('b', { expiresAt: Infinity, name: 'b' })
  cache.set('b', { expiresAt: Infinity, name: 'b2' })
  assert.equal(cache.get('a', 10), undefined)
  cache.set('c', { expiresAt: Infinity, name: 'c' })
  cache.set('d', { expiresAt: Infinity, name: 'd' })
  assert.ok(cache.delete('d'))
  assert.equal(cache.delete('d'), false)
  assert.deepEqual(removed, ['b', 'a', 'b2', 'd'])
  assert.deepEqual(evicted, ['expired', 'capacity'])
})

test('SessionCache: answers come back whole, tokens from the slab; a bounded cache reuses its slots', () => {
  const cache = new SessionCache(100)
  const answer = (n: number) => new CachedAnswer(token(n), 1_000 + n, 10_000, 60_000, Number.POSITIVE_INFINITY)
  for (let n = 0; n < 1_000; n++) cache.set(`k${n}`, answer(n))
  assert.equal(cache.size, 100)
  assert.equal(cache.get('k0', 0), undefined)
  const entry = cache.get('k999', 0)!
  assert.equal(cache.authorizationOf(entry), token(999))
  assert.deepEqual(cache.answerOf(entry), answer(999))
  // A "no session" entry holds no token.
  cache.set('none', new CachedAnswer(undefined, Number.POSITIVE_INFINITY, 500, 0, undefined))
  assert.equal(cache.authorizationOf(cache.get('none', 0)!), undefined)
  // 1,000 tokens through 100 entries: the slots of the ones pushed out were reused.
  for (let n = 901; n < 1_000; n++) assert.equal(cache.authorizationOf(cache.get(`k${n}`, 0)!), token(n))
  assert.equal(cache.get('none', 500), undefined, 'expired at its expiresAt')
})
