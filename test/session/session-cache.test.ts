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

/** One slab page of 1,846-byte tokens: 1,856-byte slots, 141 to a 256 KiB page. */
const ONE_PAGE = 141 * 1_856

/**
 * Runs `cycles` of `cycle(n)` through a cache of 10 and returns the slab's bytes after each
 * hundredth: a way out that kept its slot would need a new one per cycle (10,000 slots: 71 pages).
 */
function slabAfter(cache: SessionCache, cycles: number, cycle: (n: number) => void): number[] {
  const seen: number[] = []
  for (let n = 0; n < cycles; n++) {
    cycle(n)
    if (n % 100 === 99) seen.push(cache.tokenBytes)
  }
  return seen
}

const tokenAnswer = (n: number, expiresAt = Number.POSITIVE_INFINITY) =>
  new CachedAnswer(token(n), Number.POSITIVE_INFINITY, expiresAt, expiresAt, undefined)

/** Each way out: one cycle, and the key of cycle n's entry when it stays (undefined: it leaves in its cycle). */
const WAYS_OUT: ReadonlyArray<readonly [string, (cache: SessionCache, n: number) => void, ((n: number) => string) | undefined]> = [
  [
    'expired (read after its expiresAt)',
    (cache, n) => {
      cache.set(`k${n}`, tokenAnswer(n, 1_000 + n))
      assert.equal(cache.authorizationOf(cache.get(`k${n}`, 999 + n)!), token(n))
      assert.equal(cache.get(`k${n}`, 1_000 + n), undefined)
    },
    undefined,
  ],
  ['pushed out by the LRU bound', (cache, n) => cache.set(`k${n}`, tokenAnswer(n)), (n) => `k${n}`],
  ['replaced by a set on the same key', (cache, n) => cache.set(`k${n % 10}`, tokenAnswer(n)), (n) => `k${n % 10}`],
  [
    'deleted',
    (cache, n) => {
      cache.set(`k${n}`, tokenAnswer(n))
      assert.ok(cache.delete(`k${n}`))
    },
    undefined,
  ],
]

for (const [way, cycle, keyOf] of WAYS_OUT) {
  test(`SessionCache: an entry ${way} frees its token slot: 10,000 cycles through 10 entries stay in one page`, () => {
    const cache = new SessionCache(10)
    assert.equal(cache.tokenBytes, 0, 'no page before the first token')
    const seen = slabAfter(cache, 10_000, (n) => cycle(cache, n))
    assert.deepEqual(new Set(seen), new Set([ONE_PAGE]), `token bytes after every 100 cycles: ${[...new Set(seen)].join(', ')}`)
    if (keyOf === undefined) return assert.equal(cache.size, 0)
    // The last 10 tokens set are the ones cached, each read back as set.
    assert.equal(cache.size, 10)
    for (let n = 9_990; n < 10_000; n++) assert.equal(cache.authorizationOf(cache.get(keyOf(n), 0)!), token(n))
  })
}

test('SessionCache: "no session" entries leaving free nothing; mixed with tokens, every token reads back as set', () => {
  // Two size classes (40- and 1,846-byte tokens) and "no session" entries, on 25 keys through a
  // cache of 10, leaving every way. A no-token entry that freed a slot would hand one slot to two
  // live tokens (one would read back as the other) or a slot that does not exist (a throw).
  const evicted = { capacity: 0, expired: 0 }
  const cache = new SessionCache(10, (reason) => evicted[reason]++)
  const keys = Array.from({ length: 25 }, (_, i) => `k${i}`)
  const expected = new Map<string, string | undefined>()
  let now = 0
  let reads = 0
  let noSessionReads = 0
  for (let n = 0; n < 10_000; n++) {
    now += 1
    const key = keys[(n * 7) % keys.length]!
    // Every fifth entry lives 5 ms (read back expired a few steps later), the others for good.
    const expiresAt = n % 5 === 0 ? now + 5 : Number.POSITIVE_INFINITY
    switch (n % 6) {
      case 0:
      case 3: {
        const value = token(n, n % 4 < 2 ? 40 : 1_846)
        cache.set(key, new CachedAnswer(value, Number.POSITIVE_INFINITY, expiresAt, expiresAt, undefined))
        expected.set(key, value)
        break
      }
      case 2:
        cache.delete(key)
        expected.delete(key)
        break
      default:
        // Replaces whatever the key held: a token, no session, or nothing.
        cache.set(key, new CachedAnswer(undefined, Number.POSITIVE_INFINITY, expiresAt, 0, undefined))
        expected.set(key, undefined)
    }
    for (const [k, value] of expected) {
      const entry = cache.get(k, now)
      if (entry === undefined) continue
      reads++
      if (value === undefined) noSessionReads++
      assert.equal(cache.authorizationOf(entry), value, `${k} after step ${n}`)
    }
  }
  // Measured: 36,708 tokens and 61,237 "no session" entries read back; 4,669 pushed out, 997 expired.
  assert.ok(reads - noSessionReads > 10_000 && noSessionReads > 10_000, `tokens read back: ${reads - noSessionReads}, "no session": ${noSessionReads}`)
  assert.ok(evicted.capacity > 1_000 && evicted.expired > 500, `pushed out ${evicted.capacity}, expired ${evicted.expired}`)
  // At most 10 tokens of each size live at once: one page each (4,096 64-byte slots, 141 1,856-byte ones).
  assert.equal(cache.tokenBytes, 4_096 * 64 + ONE_PAGE)
})
