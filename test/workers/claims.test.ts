import assert from 'node:assert/strict'
import { test } from 'node:test'
import { claimsPrefix, payloadText, sessionOfToken } from '../../src/workers/claims.js'

const asToken = (payload: string) => `Bearer eyJhbGciOiJFUzI1NiJ9.${Buffer.from(payload).toString('base64url')}.c2ln`

test('the session claim is read back from a token verbatim, with its sub and times', () => {
  // A value holding the claim's own key, quotes, non-ASCII text and odd spacing, as whoami may send.
  const session = '{"id":"s1", "identity":{"id":"i-1","traits":{"note":"a,\\"session\\":{}","name":"Zoë 🙂"}}}'
  const prefix = claimsPrefix('https://x.example', 'i-1 ,"session":', 10, 70, 'j-1')
  const payload = payloadText(prefix, session)
  assert.deepEqual(JSON.parse(payload).session, JSON.parse(session))
  assert.deepEqual(sessionOfToken(asToken(payload)), { sub: 'i-1 ,"session":', iat: 10, exp: 70, session })
})

test('a token signed without the session claim (header budget) has none to read back', () => {
  const payload = payloadText(claimsPrefix('https://x.example', 'i-1', 10, 70, 'j-1'), undefined)
  assert.deepEqual(JSON.parse(payload), { iss: 'https://x.example', sub: 'i-1', iat: 10, nbf: 10, exp: 70, jti: 'j-1' })
  assert.equal(sessionOfToken(asToken(payload)), undefined)
})
