import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import test from 'node:test'
import * as undici from 'undici'
import { dispatcherRequest, h2cClientClass, Pool, requestOf, UNDICI_PARTS } from '../src/undici-parts.js'

// The proxy loads single files of undici to start faster; an undici upgrade that moved one would
// silently fall back to the entry point, so this is what notices.
test("each narrowly loaded part exists in this undici and is undici's own export", () => {
  const require = createRequire(import.meta.url)
  assert.equal(require(UNDICI_PARTS.pool), undici.Pool)
  assert.equal(require(UNDICI_PARTS.h2cClient), undici.H2CClient)
  assert.equal(require(UNDICI_PARTS.request), undici.Dispatcher.prototype.request)
  assert.equal(Pool, undici.Pool)
  assert.equal(h2cClientClass(), undici.H2CClient)
  assert.equal(dispatcherRequest, undici.Dispatcher.prototype.request)
})

test('requestOf sends a request through a Pool loaded without undici’s entry point', async (t) => {
  const server = http.createServer((req, res) => res.end(`seen ${req.method} ${req.url}`))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  t.after(() => pool.destroy())
  const { statusCode, body } = await requestOf(pool, { path: '/x?y=1', method: 'GET' })
  assert.equal(statusCode, 200)
  assert.equal(await body.text(), 'seen GET /x?y=1')
})
