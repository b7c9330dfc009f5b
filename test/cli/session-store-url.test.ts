import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseSessionStoreUrl } from '../../src/cli/session-store-url.js'
import { ConfigError } from '../../src/errors.js'

test('redis:// and rediss:// URLs: host, port (6379 by default), user, URL-encoded password, database, TLS', () => {
  assert.deepEqual(parseSessionStoreUrl('redis://cache.internal'), {
    host: 'cache.internal',
    port: 6379,
    username: undefined,
    password: undefined,
    db: 0,
    tls: false,
    display: 'redis://cache.internal',
  })
  assert.deepEqual(parseSessionStoreUrl('rediss://proxy:p%40ss%3Aw%2Frd@cache.internal:6380/3'), {
    host: 'cache.internal',
    port: 6380,
    username: 'proxy',
    password: 'p@ss:w/rd',
    db: 3,
    tls: true,
    display: 'rediss://proxy:****@cache.internal:6380/3',
  })
  const local = parseSessionStoreUrl('redis://:secret@[::1]:7000/')
  assert.equal(local.host, '::1', 'an IPv6 address without its brackets')
  assert.equal(local.username, undefined)
  assert.equal(local.password, 'secret')
  assert.equal(local.db, 0)
  assert.equal(local.display, 'redis://:****@[::1]:7000/')
})

test('anything else is a ConfigError that never repeats the password', () => {
  const cases: Array<[string, RegExp]> = [
    ['localhost:6379', /must be a redis:\/\/ or rediss:\/\/ URL.*got a localhost: URL/],
    ['http://:secret@cache/0', /got a http: URL$/],
    ['redis://:secret@cache:99999/0', /must be a redis:\/\/ or rediss:\/\/ URL: redis\[s\]:\/\/\[\[user\]:password@\]host\[:port\]\[\/db\]$/],
    ['redis:///0', /has no host/],
    ['redis://:secret@cache/db1', /path must be a database number, e\.g\. \/0: redis:\/\/:\*\*\*\*@cache\/db1$/],
    ['redis://:secret@cache/0/1', /path must be a database number/],
    ['redis://cache/0?password=secret', /takes no query or fragment \(the database is the path\): redis:\/\/cache\/0$/],
    ['redis://:%E0%A4%A@cache/0', /not valid URL encoding: redis:\/\/:\*\*\*\*@cache\/0$/],
  ]
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseSessionStoreUrl(text),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, text)
        assert.match(error.message, pattern)
        assert.ok(!error.message.includes('secret'), `${text}: ${error.message}`)
        return true
      },
    )
  }
})
