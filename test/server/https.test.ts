import assert from 'node:assert/strict'
import https from 'node:https'
import net from 'node:net'
import { test } from 'node:test'
import tls from 'node:tls'
import type { ClientOptions } from 'ws'
import { buildConfig } from '../../src/config.js'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startTestProxy } from '../helpers/proxy.js'
import { statusesOf } from '../helpers/raw.js'
import { startSessionGate } from '../helpers/session-gate.js'
import { startUpstream } from '../helpers/upstream.js'
import { openWebSocket, startWebSocketApp } from '../helpers/websocket.js'

const TLS = createDevCertificate()

test('--https: the default publish-url is https; the certificate and key must parse and belong together', () => {
  const base = { applicationUrl: 'http://localhost:3000', ory: { url: 'http://localhost:4433', source: 'sdk-url' as const, label: '--sdk-url' } }
  assert.equal(buildConfig({ ...base, port: 4000, tls: TLS }).publish.origin, 'https://localhost:4000')
  assert.equal(buildConfig({ ...base, port: 4000 }).publish.origin, 'http://localhost:4000')
  assert.throws(() => buildConfig({ ...base, tls: { cert: 'nope', key: TLS.key } }), {
    code: 'ERR_CONFIG',
    message: 'the TLS certificate (--tls-cert) is not a PEM X.509 certificate',
  })
  assert.throws(() => buildConfig({ ...base, tls: { cert: TLS.cert, key: TLS.cert } }), {
    code: 'ERR_CONFIG',
    message: 'the TLS key (--tls-key) is not a PEM private key',
  })
  assert.throws(() => buildConfig({ ...base, tls: { cert: TLS.cert, key: createDevCertificate().key } }), {
    code: 'ERR_CONFIG',
    message: 'the TLS key (--tls-key) does not belong to the certificate (--tls-cert)',
  })
})

test('over TLS, h2 and HTTP/1.1 share the port by ALPN, through the whole pipeline', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t, (_req, res) => {
    res.setHeader('set-cookie', 'ory_session_test=carol; Path=/; HttpOnly')
    res.end('{}')
  })
  const { gate, ory: sessions, subjectOf } = await startSessionGate(t)
  sessions.addCookieSession('ory_session_test', 'carol-cookie', 'carol')
  const proxy = await startTestProxy(t, app.url, ory.url, { tls: TLS, publishUrl: 'https://localhost:4443' }, { gate })
  assert.match(proxy.url, /^https:/)

  const session = await h2Connect(t, proxy.url, TLS.cert)
  assert.equal(session.alpnProtocol, 'h2')
  const h2 = await h2Request(session, { ':path': '/page', ':authority': 'localhost:4443', cookie: 'ory_session_test=carol-cookie' })
  assert.equal(h2.status, 200)
  assert.equal(await subjectOf(app.requests[0]!.headers.authorization), 'carol')
  assert.deepEqual(app.requests[0]!.headers['x-forwarded-proto'], ['https'])
  assert.deepEqual(app.requests[0]!.headers.host, ['localhost:4443'])
  const login = await h2Request(session, { ':path': '/.ory/self-service/login', ':authority': 'localhost:4443' })
  assert.deepEqual(login.headers['set-cookie'], ['ory_session_test=carol; Path=/; HttpOnly; Secure'])

  const h1 = await new Promise<{ version: string; body: string }>((resolve, reject) => {
    const req = https.get(`${proxy.url}/over-h1`, { ca: TLS.cert, servername: 'localhost', headers: { host: 'localhost:4443' } }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ version: res.httpVersion, body }))
    })
    req.on('error', reject)
  })
  assert.equal(h1.version, '1.1')
  assert.equal(JSON.parse(h1.body).url, '/over-h1')
})

test('over TLS, a WebSocket (wss) reaches the app', async (t) => {
  const app = await startWebSocketApp(t)
  const proxy = await startTestProxy(t, app.url, app.url, { tls: TLS })
  // ws hands its options to tls.connect, which checks the name given as servername.
  const tlsOptions = { ca: TLS.cert, servername: 'localhost' } as ClientOptions
  const client = await openWebSocket(t, `wss://127.0.0.1:${proxy.port}/hmr`, 'vite-hmr', tlsOptions)
  assert.equal(await client.next(), '{"type":"connected"}')
  client.socket.send('saved')
  assert.equal(await client.next(), 'echo:saved')
})

test('over TLS, a stalled HTTP/1.1 head and a stalled handshake are cut (1 s timeout)', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startTestProxy(t, app.url, app.url, { tls: TLS, timeouts: { requestHeadersMs: 1000 } })
  const partialHead = new Promise<{ text: string; closed: boolean }>((resolve) => {
    const socket = tls.connect({ port: proxy.port, host: '127.0.0.1', ca: TLS.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () =>
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: '),
    )
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
    socket.on('error', () => {})
    const timer = setTimeout(() => socket.destroy(), 2000)
    socket.on('close', () => (clearTimeout(timer), resolve({ text, closed: socket.readableEnded })))
  })
  const silentHandshake = new Promise<boolean>((resolve) => {
    const socket = net.connect(proxy.port, '127.0.0.1')
    socket.on('error', () => {})
    const timer = setTimeout(() => socket.destroy(), 2000)
    socket.on('close', () => (clearTimeout(timer), resolve(socket.readableEnded)))
  })
  const head = await partialHead
  assert.equal(head.closed, true, 'partial head closed within 2 s')
  assert.deepEqual(statusesOf(head.text), [408])
  assert.equal(await silentHandshake, true, 'silent handshake closed within 2 s')
  assert.equal(app.requests.length, 0)
})
