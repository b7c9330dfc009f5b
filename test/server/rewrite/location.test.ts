import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rewriteLocation, type LocationRule } from '../../../src/server/rewrite/location.js'

const ory: LocationRule = {
  upstreamHost: 'x.projects.oryapis.com',
  upstreamPrefix: '',
  publicBase: 'http://localhost:4000/.ory',
  prefixRelative: true,
  welcome: { path: '/.ory/ui/welcome', target: 'http://localhost:4000' },
}

test('an absolute Location on the Ory host moves under <publish-url>/.ory, query and fragment kept', () => {
  assert.equal(
    rewriteLocation('https://x.projects.oryapis.com/ui/login/?flow=1#frag', ory),
    'http://localhost:4000/.ory/ui/login/?flow=1#frag',
  )
  assert.equal(rewriteLocation('https://X.Projects.Oryapis.com', ory), 'http://localhost:4000/.ory/')
})

test('other hosts are left alone, including the proxy-rewritten ones Ory generates', () => {
  assert.equal(rewriteLocation('https://accounts.google.com/o/oauth2?x=1', ory), 'https://accounts.google.com/o/oauth2?x=1')
  assert.equal(rewriteLocation('http://localhost:4000/.ory/ui/login', ory), 'http://localhost:4000/.ory/ui/login')
  assert.equal(rewriteLocation('https://x.projects.oryapis.com.evil.example/x', ory), 'https://x.projects.oryapis.com.evil.example/x')
})

test('a path-absolute Ory Location stays under /.ory; a relative one is left to the browser', () => {
  assert.equal(rewriteLocation('/ui/login?flow=1', ory), 'http://localhost:4000/.ory/ui/login?flow=1')
  assert.equal(rewriteLocation('login?flow=1', ory), 'login?flow=1')
})

test('a Location to /ui/welcome becomes the default redirect, its query dropped (ory proxy)', () => {
  assert.equal(rewriteLocation('https://x.projects.oryapis.com/ui/welcome?x=1', ory), 'http://localhost:4000')
  assert.equal(rewriteLocation('http://localhost:4000/.ory/ui/welcome', ory), 'http://localhost:4000')
  assert.equal(rewriteLocation('/ui/welcome', { ...ory, welcome: { path: '/.ory/ui/welcome', target: '/dashboard' } }), '/dashboard')
  assert.equal(rewriteLocation('https://x.projects.oryapis.com/ui/welcomed', ory), 'http://localhost:4000/.ory/ui/welcomed')
})

test("the upstream's own path prefix is removed from rewritten paths", () => {
  const app: LocationRule = {
    upstreamHost: 'localhost:3000',
    upstreamPrefix: '/base',
    publicBase: 'http://localhost:4000',
    prefixRelative: false,
    welcome: undefined,
  }
  assert.equal(rewriteLocation('http://localhost:3000/base/next?a=1', app), 'http://localhost:4000/next?a=1')
  assert.equal(rewriteLocation('http://localhost:3000/base', app), 'http://localhost:4000/')
  assert.equal(rewriteLocation('http://localhost:3000/baseball', app), 'http://localhost:4000/baseball')
  assert.equal(rewriteLocation('/relative', app), '/relative')
})
