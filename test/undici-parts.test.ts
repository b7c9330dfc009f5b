import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import http from 'node:http'
import http2 from 'node:http2'
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

/**
 * In a fresh process (here undici's entry point is already loaded, and with it its HTTP/2 client):
 * an HTTP/1.1 request through a Pool from `src/undici-parts.ts`, then one h2c request through its
 * H2CClient. Prints what each answered and whether node:http2 was loaded after the first.
 */
const CHILD = `
const { Pool, h2cClientClass, requestOf } = await import(process.argv[1])
const [h1Url, h2Url] = process.argv.slice(2)
const pool = new Pool(h1Url)
const h1 = await requestOf(pool, { path: '/one', method: 'GET' })
const h1Text = await h1.body.text()
const http2Loaded = process.moduleLoadList.includes('NativeModule http2')
const client = new (h2cClientClass())(h2Url)
const h2 = await requestOf(client, { path: '/two', method: 'GET' })
console.log(JSON.stringify({ h1Text, http2Loaded, h2Text: await h2.body.text() }))
await Promise.all([pool.destroy(), client.destroy()])
`

test("undici's HTTP/2 client (and node:http2) load at the first h2 connection, and then serve it", async (t) => {
  const h1 = http.createServer((req, res) => res.end(`h1 ${req.url}`))
  const h2 = http2.createServer((req, res) => res.end(`h2 ${req.url} ${req.httpVersion}`))
  await Promise.all([h1, h2].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))))
  t.after(() => Promise.all([h1, h2].map((server) => new Promise((resolve) => server.close(resolve)))))
  const url = (server: http.Server | http2.Http2Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const parts = new URL('../dist/undici-parts.js', import.meta.url).href
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', CHILD, parts, url(h1), url(h2)], { timeout: 20_000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    ),
  )
  assert.deepEqual(JSON.parse(stdout), { h1Text: 'h1 /one', http2Loaded: false, h2Text: 'h2 /two 2.0' })
})
