import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import tls from 'node:tls'
import { createDevCertificate, devKeyFile, loadDevCertificate } from '../../src/tls/dev-cert.js'
import { tempDir } from '../helpers/temp-dir.js'

const DAY_MS = 24 * 3600 * 1000

test('the development certificate parses back: localhost, 127.0.0.1 and ::1, self-signed, a leaf for TLS servers', () => {
  const now = new Date(Date.UTC(2026, 0, 15, 12))
  const material = createDevCertificate(now)
  const cert = new X509Certificate(material.cert)
  assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
  assert.equal(cert.issuer, cert.subject)
  assert.ok(cert.verify(cert.publicKey), 'signed with its own key')
  assert.ok(cert.checkPrivateKey(createPrivateKey(material.key)), 'the key belongs to it')
  assert.equal(cert.ca, false)
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'])
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec')
  assert.equal(Date.parse(cert.validFrom), now.getTime() - 3600 * 1000)
  assert.equal(Date.parse(cert.validTo), now.getTime() + 397 * DAY_MS)
  assert.equal(cert.checkHost('localhost'), 'localhost')
  assert.equal(cert.checkHost('example.com'), undefined)
  assert.notEqual(new X509Certificate(createDevCertificate(now).cert).serialNumber, cert.serialNumber)
})

async function handshake(t: TestContext, material: { cert: string; key: string }, host: string, servername?: string) {
  const server = tls.createServer({ cert: material.cert, key: material.key }, (socket) => socket.end('hi'))
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return new Promise<string>((resolve, reject) => {
    const options = { host, port: (server.address() as AddressInfo).port, ca: material.cert, servername }
    const socket = tls.connect(options, () => socket.once('data', (data) => resolve(data.toString())))
    socket.on('error', reject)
  })
}

test('a client that trusts the certificate completes TLS to localhost, 127.0.0.1 and ::1, and to nothing else', async (t) => {
  const material = createDevCertificate()
  assert.equal(await handshake(t, material, '127.0.0.1', 'localhost'), 'hi')
  assert.equal(await handshake(t, material, '127.0.0.1'), 'hi')
  assert.equal(await handshake(t, material, '::1'), 'hi')
  await assert.rejects(handshake(t, material, '127.0.0.1', 'example.com'), /ERR_TLS_CERT_ALTNAME_INVALID|does not match/)
})

test('without a file the certificate is made in memory for this run', () => {
  const cert = loadDevCertificate(undefined)
  assert.equal(cert.source, 'generated')
  assert.equal(cert.certFile, undefined)
  assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
})

test('with a file it is created once (key mode 0600), reused while valid, renewed a week before expiry', (t) => {
  const file = join(tempDir(t), 'nested', 'localhost.pem')
  const created = loadDevCertificate(file)
  assert.equal(created.source, 'created')
  assert.equal(created.keyFile, devKeyFile(file))
  assert.ok(devKeyFile(file).endsWith('localhost-key.pem'))
  assert.equal(readFileSync(file, 'utf8'), created.cert)
  assert.equal(statSync(devKeyFile(file)).mode & 0o777, 0o600)

  const reused = loadDevCertificate(file)
  assert.equal(reused.source, 'reused')
  assert.equal(reused.fingerprint256, created.fingerprint256)

  const nearExpiry = new Date(Date.now() + 391 * DAY_MS)
  const renewed = loadDevCertificate(file, nearExpiry)
  assert.equal(renewed.source, 'renewed')
  assert.notEqual(renewed.fingerprint256, created.fingerprint256)
  assert.equal(readFileSync(file, 'utf8'), renewed.cert)
})

test('a file that is not a certificate is never overwritten: a one-line ConfigError', (t) => {
  const file = join(tempDir(t), 'mine.pem')
  writeFileSync(file, 'my notes, not a certificate')
  writeFileSync(devKeyFile(file), 'nor a key')
  assert.throws(() => loadDevCertificate(file), { code: 'ERR_CONFIG', message: /is not a PEM certificate and key/ })
  assert.equal(readFileSync(file, 'utf8'), 'my notes, not a certificate')
})

test('a path that cannot be read or written is a ConfigError naming it, whoever runs the test', (t) => {
  const blocker = join(tempDir(t), 'file')
  writeFileSync(blocker, '')
  assert.throws(() => loadDevCertificate(join(blocker, 'localhost.pem')), {
    code: 'ERR_CONFIG',
    message: /^--dev-cert .*\/file\/localhost\.pem cannot be read: ENOTDIR$/,
  })
  // The key's place is taken by a directory.
  const dir = tempDir(t)
  mkdirSync(devKeyFile(join(dir, 'localhost.pem')))
  assert.throws(() => loadDevCertificate(join(dir, 'localhost.pem')), {
    code: 'ERR_CONFIG',
    message: /^--dev-cert .*localhost\.pem cannot be read: EISDIR$/,
  })
  // Neither file is there, but the key's name is a link into a directory that does not exist.
  const linked = join(dir, 'linked.pem')
  symlinkSync(join(dir, 'nowhere', 'key.pem'), devKeyFile(linked))
  assert.throws(() => loadDevCertificate(linked), {
    code: 'ERR_CONFIG',
    message: /^--dev-cert .*linked\.pem cannot be written: ENOENT$/,
  })
})

test('half a pair is never completed: a file without its key, or a key without its certificate, is kept and refused', (t) => {
  const dir = tempDir(t)
  // A typo naming a project file: it has no key beside it.
  const notes = join(dir, 'package.json')
  writeFileSync(notes, '{"name":"mine"}')
  assert.throws(() => loadDevCertificate(notes), { code: 'ERR_CONFIG', message: /package\.json is there but .*package\.json-key\.pem is not/ })
  assert.equal(readFileSync(notes, 'utf8'), '{"name":"mine"}')
  // A real certificate whose key lives elsewhere is not replaced either.
  const theirs = join(dir, 'server.pem')
  const real = createDevCertificate()
  writeFileSync(theirs, real.cert)
  assert.throws(() => loadDevCertificate(theirs), { code: 'ERR_CONFIG', message: /server\.pem is there but/ })
  assert.equal(readFileSync(theirs, 'utf8'), real.cert)
  // Only a key: the certificate's place is free, but the key is not ours to overwrite.
  const lone = join(dir, 'lone.pem')
  writeFileSync(devKeyFile(lone), real.key)
  assert.throws(() => loadDevCertificate(lone), { code: 'ERR_CONFIG', message: /lone-key\.pem is there but .*lone\.pem is not/ })
  assert.equal(readFileSync(devKeyFile(lone), 'utf8'), real.key)
})
