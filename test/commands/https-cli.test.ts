import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { request } from 'undici'
import { WebSocketServer } from 'ws'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { expectUsageError, spawnCli } from '../helpers/cli.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'
import { openWebSocket } from '../helpers/websocket.js'

/** `start` with a valid app and Ory plus `args` fails with one line matching `pattern`, exit 2. */
function expectTlsUsageError(args: string[], pattern: RegExp): Promise<void> {
  return expectUsageError(['start', 'http://localhost:3000', '--sdk-url', 'http://localhost:4433', ...args], pattern)
}

test('bad TLS input is one line on stderr and exit code 2', { concurrency: 4 }, async (t) => {
  const dir = tempDir(t)
  const garbage = join(dir, 'garbage.pem')
  writeFileSync(garbage, 'not a certificate')
  const one = createDevCertificate()
  const other = createDevCertificate()
  const cert = join(dir, 'cert.pem')
  const otherKey = join(dir, 'other-key.pem')
  writeFileSync(cert, one.cert)
  writeFileSync(otherKey, other.key)
  const notes = join(dir, 'notes.pem')
  writeFileSync(notes, 'my notes')
  writeFileSync(join(dir, 'notes-key.pem'), 'more notes')
  const cases: Array<[string, string[], RegExp]> = [
    ['cert without key', ['--tls-cert', cert], /--tls-cert and --tls-key go together/],
    ['key without cert', ['--tls-key', otherKey], /--tls-cert and --tls-key go together/],
    ['unreadable cert', ['--tls-cert', join(dir, 'missing.pem'), '--tls-key', otherKey], /--tls-cert .*missing\.pem cannot be read: ENOENT/],
    ['cert that is not PEM', ['--tls-cert', garbage, '--tls-key', otherKey], /--tls-cert\) is not a PEM X\.509 certificate/],
    ['key that is not PEM', ['--tls-cert', cert, '--tls-key', garbage], /--tls-key\) is not a PEM private key/],
    ['key of another certificate', ['--tls-cert', cert, '--tls-key', otherKey], /does not belong to the certificate/],
    ['dev-cert with tls-cert', ['--tls-cert', cert, '--tls-key', otherKey, '--dev-cert', join(dir, 'dev.pem')], /cannot be combined with --tls-cert/],
    ['dev-cert file that is not ours', ['--dev-cert', notes], /is not a PEM certificate and key; remove both/],
  ]
  await Promise.all(cases.map(([name, args, pattern]) => t.test(name, () => expectTlsUsageError(args, pattern))))
  assert.equal(readFileSync(notes, 'utf8'), 'my notes')
})

test('--https --dev-cert: HTTPS on the port, a certificate a client can trust from the file, reused next start', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const file = join(tempDir(t), 'localhost.pem')
  const args = ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '--https', '--dev-cert', file]
  const first = await spawnCli(t, args, 'To access your application')
  assert.match(first.stderr, new RegExp(`https://localhost:${port}`))
  assert.match(first.stderr, /tls: {2}self-signed development certificate for localhost, created .*localhost\.pem/)
  const trusted = readFileSync(file, 'utf8')
  assert.ok(existsSync(join(file, '..', 'localhost-key.pem')))
  const fingerprint = new X509Certificate(trusted).fingerprint256
  assert.ok(first.stderr.includes(fingerprint))

  const session = await h2Connect(t, `https://127.0.0.1:${port}`, trusted)
  const res = await h2Request(session, { ':path': '/hello', ':authority': `localhost:${port}` })
  assert.equal(res.status, 200)
  assert.deepEqual(app.requests[0]!.headers['x-forwarded-proto'], ['https'])
  session.close()
  first.child.kill('SIGTERM')
  assert.equal(await first.exited, 0)

  const second = await spawnCli(t, args, 'To access your application')
  assert.match(second.stderr, /reused .*localhost\.pem/)
  assert.ok(second.stderr.includes(fingerprint))
  second.child.kill('SIGTERM')
  assert.equal(await second.exited, 0)
})

test('--tls-cert/--tls-key: the proxy serves that certificate', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const dir = tempDir(t)
  const material = createDevCertificate()
  writeFileSync(join(dir, 'cert.pem'), material.cert)
  writeFileSync(join(dir, 'key.pem'), material.key)
  const cli = await spawnCli(
    t,
    ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
    'To access your application',
  )
  assert.match(cli.stderr, /tls: {2}.*cert\.pem/)
  const session = await h2Connect(t, `https://127.0.0.1:${port}`, material.cert)
  const peer = (session.socket as unknown as { getPeerX509Certificate(): X509Certificate }).getPeerX509Certificate()
  assert.equal(peer.fingerprint256, new X509Certificate(material.cert).fingerprint256)
  assert.equal((await h2Request(session, { ':path': '/', ':authority': 'localhost' })).status, 200)
  session.close()
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})

test('--app-h2: an https app is spoken to over HTTP/2 (ALPN), WebSockets still over HTTP/1.1; off by default', async (t) => {
  const dir = tempDir(t)
  const appCert = createDevCertificate()
  const caFile = join(dir, 'app-ca.pem')
  writeFileSync(caFile, appCert.cert)
  // A dev server with TLS, HTTP/2 and an HTTP/1.1 WebSocket endpoint, as Vite serves with https.
  const versions: string[] = []
  const app = http2.createSecureServer({ ...appCert, allowHTTP1: true }, (req, res) => {
    versions.push(req.httpVersion)
    res.end(`over ${req.httpVersion}`)
  })
  const wss = new WebSocketServer({ noServer: true })
  app.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo:${m}`))))
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => (wss.close(), app.close(() => resolve()))))
  const appUrl = `https://localhost:${(app.address() as AddressInfo).port}`
  const env = { NODE_EXTRA_CA_CERTS: caFile }

  const port = await freePort()
  const h2 = await spawnCli(t, ['start', appUrl, '--sdk-url', appUrl, '--port', String(port), '--no-jwt', '--app-h2'], 'To access', env)
  assert.equal(await (await request(`http://127.0.0.1:${port}/`)).body.text(), 'over 2.0')
  const socket = await openWebSocket(t, `ws://127.0.0.1:${port}/hmr`)
  socket.socket.send('x')
  assert.equal(await socket.next(), 'echo:x')
  socket.socket.close()
  h2.child.kill('SIGTERM')
  assert.equal(await h2.exited, 0)

  const plainPort = await freePort()
  const plain = await spawnCli(t, ['start', appUrl, '--sdk-url', appUrl, '--port', String(plainPort), '--no-jwt'], 'To access', env)
  assert.equal(await (await request(`http://127.0.0.1:${plainPort}/`)).body.text(), 'over 1.1')
  plain.child.kill('SIGTERM')
  assert.equal(await plain.exited, 0)
  assert.deepEqual(versions, ['2.0', '1.1'])
})
