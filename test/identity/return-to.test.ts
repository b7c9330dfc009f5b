import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allowedReturnTo } from '../../src/identity/return-to.js'

const base = new URL('http://127.0.0.1:4433')
const rewrite = 'http://localhost:4000/.ory'

test('return_to on the publish-url (from Ory-Base-URL-Rewrite) or on this host is allowed', () => {
  assert.equal(allowedReturnTo('http://localhost:4000/dashboard?x=1', base, rewrite), 'http://localhost:4000/dashboard?x=1')
  assert.equal(allowedReturnTo('http://127.0.0.1:4433/ui/welcome', base, undefined), 'http://127.0.0.1:4433/ui/welcome')
  assert.equal(allowedReturnTo('http://127.0.0.1:3000/app', base, undefined), 'http://127.0.0.1:3000/app')
})

test('other origins, schemes, relative URLs and credentials are refused (no open redirect)', () => {
  for (const bad of [
    'https://evil.example/',
    'http://localhost:4001/',
    'https://127.0.0.1:4433/',
    '//evil.example/',
    '/dashboard',
    'javascript:alert(1)',
    'http://user:pass@127.0.0.1:4433/',
    'not a url',
  ]) {
    assert.equal(allowedReturnTo(bad, base, rewrite), undefined, bad)
  }
})

test('a malformed Ory-Base-URL-Rewrite allows nothing extra', () => {
  assert.equal(allowedReturnTo('http://localhost:4000/', base, 'garbage'), undefined)
})
