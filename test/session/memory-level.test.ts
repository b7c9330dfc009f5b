import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CachedAnswer } from '../../src/session/cached-answer.js'
import { MemorySessionLevel } from '../../src/session/memory-level.js'

const answer = (token: string, ttlMs = 60_000) => new CachedAnswer(`Bearer ${token}`, Date.now() + ttlMs / 2, Date.now() + ttlMs, Date.now() + ttlMs, undefined)

test('the first claim of a key leads; later ones wait for its fill and get the answer', async () => {
  const level = new MemorySessionLevel(10)
  const first = await level.claim('k', 1_000)
  assert.equal(first.kind, 'lead')
  const waiting = [level.claim('k', 1_000), level.claim('k', 1_000)]
  level.fill('k', answer('t1'), first.kind === 'lead' ? first.lease : undefined)
  for (const claim of await Promise.all(waiting)) {
    assert.equal(claim.kind, 'answer')
    assert.equal(claim.kind === 'answer' && claim.answer.authorization, 'Bearer t1')
  }
  const later = await level.claim('k', 1_000)
  assert.equal(later.kind === 'answer' && later.answer.authorization, 'Bearer t1')
  assert.equal(level.size, 1)
})

test('a released lease sends its waiters to Ory alone; the next claim leads again', async () => {
  const level = new MemorySessionLevel(10)
  const first = await level.claim('k', 1_000)
  const waiting = level.claim('k', 1_000)
  level.release('k', first.kind === 'lead' ? first.lease : '')
  assert.equal((await waiting).kind, 'alone')
  assert.equal((await level.claim('k', 1_000)).kind, 'lead')
})

test('a waiter whose leader is slow stops waiting after waitMs', async () => {
  const level = new MemorySessionLevel(10)
  await level.claim('k', 1_000)
  const started = Date.now()
  assert.equal((await level.claim('k', 50)).kind, 'alone')
  assert.ok(Date.now() - started < 1_000)
})

test('an eviction voids the lease in flight: its late fill is dropped and its waiters go alone', async () => {
  const level = new MemorySessionLevel(10)
  const first = await level.claim('k', 1_000)
  const waiting = level.claim('k', 1_000)
  await level.evict(['k'])
  assert.equal((await waiting).kind, 'alone')
  level.fill('k', answer('stale'), first.kind === 'lead' ? first.lease : undefined)
  assert.equal(await level.peek('k'), undefined)
})

test('a fill without a lease (a renewal) replaces a live entry but never brings back an evicted one', async () => {
  const level = new MemorySessionLevel(10)
  const first = await level.claim('k', 1_000)
  level.fill('k', answer('t1'), first.kind === 'lead' ? first.lease : undefined)
  level.fill('k', answer('t2'), undefined)
  assert.equal((await level.peek('k'))?.authorization, 'Bearer t2')
  await level.evict(['k'])
  level.fill('k', answer('t3'), undefined)
  assert.equal(await level.peek('k'), undefined)
})

test('entries expire with their answer and the level is bounded by its capacity', async () => {
  const level = new MemorySessionLevel(2)
  for (const key of ['a', 'b', 'c']) {
    const claim = await level.claim(key, 1_000)
    level.fill(key, answer(key), claim.kind === 'lead' ? claim.lease : undefined)
  }
  assert.equal(level.size, 2)
  assert.equal(await level.peek('a'), undefined, 'the least recently used went')
  const short = await level.claim('d', 1_000)
  level.fill('d', answer('d', 40), short.kind === 'lead' ? short.lease : undefined)
  await new Promise((resolve) => setTimeout(resolve, 60))
  assert.equal(await level.peek('d'), undefined)
})
