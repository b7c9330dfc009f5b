import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CachedAnswer, decodeAnswer, encodeAnswer } from '../../src/session/cached-answer.js'

test('an entry survives its text form, Infinity and a kept session included', () => {
  const entries = [
    new CachedAnswer('Bearer a.b.c', 1_000, 2_000, 3_000, Number.POSITIVE_INFINITY),
    new CachedAnswer('Bearer a.b.c', 1_000, 2_000, 3_000, 5_000),
    new CachedAnswer('Bearer a.b.c', 1_000, 2_000, 3_000, { sub: 'id', session: '{"active":true}', expiresAt: undefined }),
    new CachedAnswer('Bearer a.b.c', 1_000, 2_000, 3_000, { sub: 'id', session: '{}', expiresAt: 9_000 }),
    new CachedAnswer(undefined, Number.POSITIVE_INFINITY, 2_000, 0, undefined),
  ]
  for (const entry of entries) assert.deepEqual(decodeAnswer(encodeAnswer(entry)), entry)
})

test('text that is not an entry decodes to nothing (a miss), never to a wrong answer', () => {
  for (const text of ['', 'not json', '{}', '[]', '[1,2,3,4,5]', '["x",1,"2",3,false]', '[5,1,2,3,false]']) {
    assert.equal(decodeAnswer(text), undefined, text)
  }
})
