import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rewriteSetCookie } from '../../../src/server/rewrite/set-cookie.js'

const http = { domain: undefined, secure: false }
const https = { domain: undefined, secure: true }

test('over http: Domain removed, Secure dropped, SameSite=None becomes Lax (ory/x example)', () => {
  assert.equal(
    rewriteSetCookie(
      'ory_session_x=v; Path=/; Domain=x.projects.oryapis.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=None; Priority=High',
      http,
    ),
    'ory_session_x=v; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=86400; HttpOnly; Priority=High; SameSite=Lax',
  )
})

test('over http every cookie gets SameSite=Lax, whatever it had', () => {
  assert.equal(rewriteSetCookie('a=1; SameSite=Strict', http), 'a=1; SameSite=Lax')
  assert.equal(rewriteSetCookie('a=1', http), 'a=1; SameSite=Lax')
})

test('over https: Secure is set and SameSite kept', () => {
  assert.equal(rewriteSetCookie('a=1; Domain=ory.example; SameSite=None', https), 'a=1; Secure; SameSite=None')
  assert.equal(rewriteSetCookie('a=1', https), 'a=1; Secure')
})

test('--cookie-domain becomes the Domain of every cookie', () => {
  assert.equal(
    rewriteSetCookie('a=1; Domain=x.projects.oryapis.com; Path=/', { domain: 'example.org', secure: false }),
    'a=1; Path=/; Domain=example.org; SameSite=Lax',
  )
})

test('__Host- and __Secure- cookies keep Secure (or the browser drops them) and __Host- gains no Domain', () => {
  const rule = { domain: 'example.org', secure: false }
  assert.equal(rewriteSetCookie('__Host-x=1; Path=/; Secure', rule), '__Host-x=1; Path=/; Secure')
  assert.equal(rewriteSetCookie('__Secure-y=1; Secure; SameSite=None', rule), '__Secure-y=1; Domain=example.org; Secure; SameSite=None')
})

test('Partitioned needs Secure: dropped with it over http, kept over https', () => {
  assert.equal(rewriteSetCookie('a=1; Secure; Partitioned', http), 'a=1; SameSite=Lax')
  assert.equal(rewriteSetCookie('a=1; Secure; Partitioned', https), 'a=1; Partitioned; Secure')
})

test('attribute names are matched case-insensitively and values with = survive', () => {
  assert.equal(rewriteSetCookie('tok=a=b=c; DOMAIN=x; secure; samesite=none', http), 'tok=a=b=c; SameSite=Lax')
})
