import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExpiringMap } from '../../src/identity/expiring-map.js'

interface Entry {
  readonly until: number
}

test('an entry is there until its retention time, then gone', () => {
  const map = new ExpiringMap<Entry>(10, (e) => e.until)
  map.set('a', { until: 100 }, 0)
  assert.deepEqual(map.get('a', 99), { until: 100 })
  assert.equal(map.get('a', 100), undefined)
  assert.equal(map.size, 0)
})

test('inserting sweeps expired entries from the front, so memory does not grow with dead entries', () => {
  const map = new ExpiringMap<Entry>(1000, (e) => e.until)
  for (let i = 0; i < 10; i++) map.set(`old${i}`, { until: 50 }, 0)
  map.set('new', { until: 500 }, 60)
  assert.equal(map.size, 1)
})

test('beyond its bound the oldest entry goes first', () => {
  const map = new ExpiringMap<Entry>(3, (e) => e.until)
  for (const key of ['a', 'b', 'c', 'd']) map.set(key, { until: 1000 }, 0)
  assert.equal(map.size, 3)
  assert.equal(map.get('a', 1), undefined)
  assert.deepEqual([...map.values(1)].length, 3)
})

test('values() skips expired entries and delete removes one', () => {
  const map = new ExpiringMap<Entry>(10, (e) => e.until)
  map.set('a', { until: 10 }, 0)
  map.set('b', { until: 100 }, 0)
  assert.deepEqual([...map.values(50)], [{ until: 100 }])
  assert.equal(map.delete('b'), true)
  assert.equal(map.delete('b'), false)
})
