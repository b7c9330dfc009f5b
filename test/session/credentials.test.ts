import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CredentialKeys } from '../../src/session/credential-key.js'
import { Credentials, bearer, oryCookies } from '../../src/session/credentials.js'

test('only Ory session cookies are credentials, in the client order', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['theme=dark; lang=en', undefined],
    ['ory_session_project=A', 'ory_session_project=A'],
    ['ory_kratos_session=K', 'ory_kratos_session=K'],
    ['ory_session_x=A; other=1', 'ory_session_x=A'],
    ['other=1; ory_session_x=A', 'ory_session_x=A'],
    ['other=1;ory_session_x=A ;x=2', 'ory_session_x=A'],
    ['ory_session_a=1; z=9; ory_kratos_session=2', 'ory_session_a=1; ory_kratos_session=2'],
    // Not session cookies: a bare prefix, a look-alike name, the CSRF cookie, a value mentioning one.
    ['ory_session_=x', undefined],
    ['ory_kratos_session_x=1', undefined],
    ['csrf_token_abc=ory_session_x', undefined],
    ['ory_session', undefined],
    ['xory_session_a=1', undefined],
  ]
  for (const [cookie, expected] of cases) assert.equal(oryCookies(cookie), expected, String(cookie))
})

test('a header holding just the session cookie is returned as is', () => {
  const cookie = 'ory_session_project=MTYzNjQ3ODk5MnxEdi1CQkFF'
  assert.equal(oryCookies(cookie), cookie)
})

test('Authorization counts only with the Bearer scheme and a token', () => {
  assert.equal(bearer('Bearer ory_st_abc'), 'Bearer ory_st_abc')
  assert.equal(bearer('bearer abc'), 'bearer abc')
  assert.equal(bearer('BEARER abc'), 'BEARER abc')
  assert.equal(bearer('Bearer '), undefined)
  assert.equal(bearer('Bearer    '), undefined)
  assert.equal(bearer('Basic dXNlcjpwYXNz'), undefined)
  assert.equal(bearer('Bearerabc'), undefined)
  assert.equal(bearer(undefined), undefined)
})

test('keys encode the credential tuple unambiguously (no concatenation collisions)', () => {
  const keys = new CredentialKeys()
  const key = (cookie?: string, token?: string, authorization?: string) => keys.keyOf(new Credentials(cookie, token, authorization))
  assert.notEqual(key('a:1', 'b', undefined), key('a', '1:b', undefined))
  assert.notEqual(key('ab', undefined, undefined), key('a', 'b', undefined))
  assert.notEqual(key('x', undefined, undefined), key(undefined, 'x', undefined))
  assert.notEqual(key(undefined, 'x', undefined), key(undefined, undefined, 'x'))
  assert.notEqual(key('', undefined, undefined), key(undefined, undefined, undefined))
  assert.notEqual(key('1:-', undefined, undefined), key('-', '-', undefined))
  assert.equal(key('a', 'b', 'c'), key('a', 'b', 'c'))
})

test('keys depend on a per-process secret', () => {
  const credentials = new Credentials('a', undefined, undefined)
  assert.notEqual(new CredentialKeys().keyOf(credentials), new CredentialKeys().keyOf(credentials))
})
