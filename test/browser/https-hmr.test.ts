import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ProxyObserver } from '../../src/server/observer.js'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { launchChromium } from '../helpers/browser.js'
import { startTestProxy } from '../helpers/proxy.js'
import { startSessionGate } from '../helpers/session-gate.js'
import { startWebSocketApp } from '../helpers/websocket.js'

/** A page with a Vite-style HMR client: a `vite-hmr` WebSocket that reloads on `full-reload`. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>loading</title>
<script>
  const socket = new WebSocket('wss://' + location.host + '/hmr', 'vite-hmr')
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data)
    if (message.type === 'connected') document.title = 'connected'
    if (message.type === 'full-reload') location.reload()
  }
</script>`

test('a browser over --https: the page comes over h2, its HMR WebSocket goes through, a reload push reloads it', async (t) => {
  const app = await startWebSocketApp(t, () => PAGE)
  // What the request log is told of each request.
  const ended: Array<{ method: string; status: number }> = []
  const observer: ProxyObserver = { requestEnded: (request, status) => ended.push({ method: request.method, status }), bodyRewrite: () => {} }
  const { gate, ory, subjectOf } = await startSessionGate(t)
  ory.addCookieSession('ory_session_test', 'dave-cookie', 'dave')
  const proxy = await startTestProxy(t, app.url, app.url, { tls: createDevCertificate() }, { gate, observer })
  const origin = `https://localhost:${proxy.port}`

  const browser = await launchChromium(['--ignore-certificate-errors'])
  t.after(() => browser.close())
  const context = await browser.newContext({ ignoreHTTPSErrors: true })
  await context.addCookies([{ name: 'ory_session_test', value: 'dave-cookie', url: origin }])
  const page = await context.newPage()

  await page.goto(`${origin}/`)
  // Page-side code as strings: this file is type-checked without the DOM library.
  await page.waitForFunction("document.title === 'connected'")
  assert.equal(await page.evaluate('performance.getEntries()[0].nextHopProtocol'), 'h2')
  assert.equal(app.sockets.length, 1)
  assert.equal(await subjectOf(app.sockets[0]!.headers.authorization), 'dave')

  // The dev server saw a file change: it tells the page to reload.
  const reloaded = page.waitForEvent('load')
  app.sockets[0]!.socket.send(JSON.stringify({ type: 'full-reload', path: '*' }))
  await reloaded
  await page.waitForFunction("document.title === 'connected'")
  assert.deepEqual(app.paths.filter((path) => path === '/'), ['/', '/'])
  assert.equal(app.sockets.length, 2)

  // Chromium opens its WebSockets as RFC 8441 extended CONNECT streams on the h2 connection the
  // proxy advertised it for (method CONNECT; an HTTP/1.1 handshake would log GET).
  const upgrades = ended.filter((request) => request.status === 101)
  assert.deepEqual(
    upgrades.map((event) => event.method),
    ['CONNECT', 'CONNECT'],
  )
})
