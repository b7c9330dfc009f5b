import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SingleFlight } from '../../src/session/single-flight.js'
import { TtlCache } from '../../src/session/ttl-cache.js'

test('TtlCache: entries live until expiresAt, then are dropped on read', () => {
  const cache = new TtlCache<{ expiresAt: number; value: string }>(10)
  cache.set('k', { expiresAt: 1_000, value: 'v' })
  assert.equal(cache.get('k', 999)?.value, 'v')
  assert.equal(cache.get('k', 1_000), undefined)
  assert.equal(cache.size, 0)
})

test('TtlCache: bounded, least recently used out first; delete removes', () => {
  const cache = new TtlCache<{ expiresAt: number }>(2)
  cache.set('a', { expiresAt: Infinity })
  cache.set('b', { expiresAt: Infinity })
  cache.get('a', 0)
  cache.set('c', { expiresAt: Infinity })
  assert.equal(cache.size, 2)
  assert.ok(cache.get('a', 0))
  assert.equal(cache.get('b', 0), undefined)
  cache.delete('a')
  assert.equal(cache.get('a', 0), undefined)
})

test('SingleFlight: one flight per key, none shared across keys, failures not kept', async () => {
  const flights = new SingleFlight<string>()
  let started = 0
  let release!: (value: string) => void
  const slow = () => {
    started++
    return new Promise<string>((resolve) => (release = resolve))
  }
  const a1 = flights.run('a', slow)
  const a2 = flights.run('a', slow)
  assert.equal(a1, a2)
  const b = flights.run('b', async () => 'b')
  assert.equal(started, 1)
  release('a')
  assert.deepEqual(await Promise.all([a1, a2, b]), ['a', 'a', 'b'])
  assert.equal(flights.size, 0)

  await assert.rejects(flights.run('c', async () => Promise.reject(new Error('down'))))
  assert.equal(await flights.run('c', async () => 'up'), 'up')
})

test('SingleFlight: forget() makes the next caller start afresh', async () => {
  const flights = new SingleFlight<number>()
  let calls = 0
  let release!: () => void
  const first = flights.run('k', () => new Promise<number>((resolve) => (release = () => resolve(++calls))))
  flights.forget('k')
  const second = flights.run('k', async () => ++calls)
  release()
  assert.notEqual(await first, await second)
  assert.equal(flights.size, 0)
})
