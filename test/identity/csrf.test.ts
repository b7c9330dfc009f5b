import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CsrfTokens } from '../../src/identity/csrf.js'

const csrf = new CsrfTokens('http://127.0.0.1:4433')

test('the cookie name is Kratos-style: csrf_token_ plus the sha256 of the base URL', () => {
  assert.match(csrf.cookieName, /^csrf_token_[0-9a-f]{64}$/)
  assert.notEqual(new CsrfTokens('http://127.0.0.1:4434').cookieName, csrf.cookieName)
})

test('a masked token matches its secret, and every mask differs from the secret and from the last one', () => {
  const secret = csrf.newSecret()
  const first = csrf.mask(secret)
  const second = csrf.mask(secret)
  assert.notEqual(first, second)
  assert.ok(!first.includes(secret))
  assert.ok(csrf.matches(secret, first))
  assert.ok(csrf.matches(secret, second))
})

test('a token for another secret, a tampered token, a secret in place of a token, or nothing never matches', () => {
  const secret = csrf.newSecret()
  const token = csrf.mask(secret)
  assert.equal(csrf.matches(csrf.newSecret(), token), false)
  const flipped = token.slice(0, 50) + (token[50] === 'A' ? 'B' : 'A') + token.slice(51)
  assert.equal(csrf.matches(secret, flipped), false)
  assert.equal(csrf.matches(secret, secret), false)
  assert.equal(csrf.matches(secret, ''), false)
  assert.equal(csrf.matches(secret, undefined), false)
  assert.equal(csrf.matches(undefined, token), false)
})

test('only cookie values shaped like our secrets are accepted', () => {
  const secret = csrf.newSecret()
  assert.equal(csrf.secretFrom(secret), secret)
  assert.equal(csrf.secretFrom(undefined), undefined)
  assert.equal(csrf.secretFrom('short'), undefined)
  assert.equal(csrf.secretFrom(`${secret}x`), undefined)
  assert.equal(csrf.secretFrom(secret.replace(/.$/, '!')), undefined)
})
