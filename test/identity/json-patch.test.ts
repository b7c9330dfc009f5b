import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyJsonPatch } from '../../src/identity/json-patch.js'

const doc = { traits: { email: 'a@example.org', tags: ['x', 'y'] }, state: 'active', 'a/b': 1, 'c~d': 2 }

test('add, remove, replace, move, copy and test apply in order to a copy', () => {
  const result = applyJsonPatch(doc, [
    { op: 'test', path: '/state', value: 'active' },
    { op: 'replace', path: '/state', value: 'inactive' },
    { op: 'add', path: '/traits/name', value: { first: 'Ada' } },
    { op: 'add', path: '/traits/tags/-', value: 'z' },
    { op: 'add', path: '/traits/tags/0', value: 'w' },
    { op: 'remove', path: '/traits/tags/1' },
    { op: 'copy', from: '/traits/email', path: '/backup' },
    { op: 'move', from: '/a~1b', path: '/moved' },
    { op: 'replace', path: '/c~0d', value: 3 },
    { op: 'test', path: '/traits/name', value: { first: 'Ada' } },
  ])
  assert.deepEqual(result, {
    value: {
      traits: { email: 'a@example.org', tags: ['w', 'y', 'z'], name: { first: 'Ada' } },
      state: 'inactive',
      'c~d': 3,
      backup: 'a@example.org',
      moved: 1,
    },
  })
  assert.equal(doc.state, 'active', 'the document itself is not changed')
})

test('a patch that does not apply is refused whole, with the failing operation named', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /is an array/],
    [[{ op: 'frobnicate', path: '/state' }], /operation 0: op must be/],
    [[{ op: 'add', path: 'state', value: 1 }], /path must be a JSON Pointer/],
    [[{ op: 'add', path: '/state' }], /add needs a value/],
    [[{ op: 'replace', path: '/nope', value: 1 }], /nothing at \/nope/],
    [[{ op: 'remove', path: '/traits/tags/5' }], /out of range/],
    [[{ op: 'add', path: '/missing/deeper', value: 1 }], /nothing to add to/],
    [[{ op: 'replace', path: '/state', value: 'x' }, { op: 'test', path: '/state', value: 'active' }], /operation 1: test failed/],
    [[{ op: 'move', from: '/traits', path: '/traits/inner' }], /into itself/],
    [[{ op: 'copy', from: '/nope', path: '/x' }], /nothing at \/nope/],
  ]
  for (const [patch, reason] of cases) {
    const result = applyJsonPatch(doc, patch)
    assert.ok('error' in result, JSON.stringify(patch))
    assert.match(result.error, reason)
  }
})
