import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { request } from 'undici'
import { parseUpstream } from '../../src/config.js'
import { egressProxyFor } from '../../src/egress/proxy-env.js'
import { ConfigError } from '../../src/errors.js'
import { silentLogger } from '../../src/logger.js'
import { OrySessionGate } from '../../src/session/gate.js'
import { generateSigningKey } from '../../src/session/keys.js'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { expectUsageError, spawnCli } from '../helpers/cli.js'
import { startForwardProxy } from '../helpers/forward-proxy.js'
import { startJwtApp } from '../helpers/jwt-app.js'
import { startFakeOry } from '../helpers/ory.js'
import { startTestProxy } from '../helpers/proxy.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

test('HTTP(S)_PROXY and NO_PROXY choose the forward proxy as ory proxy (Go) does; loopback is always direct', () => {
  const cases: Array<[string, Record<string, string>, string | undefined]> = [
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128' }, 'http://egress:3128/'],
    ['https://acme.projects.oryapis.com', { https_proxy: 'egress:3128' }, 'http://egress:3128/'],
    ['https://acme.projects.oryapis.com', { HTTP_PROXY: 'http://egress:3128' }, undefined],
    ['http://kratos.internal:4433', { HTTP_PROXY: 'https://egress:443' }, 'https://egress/'],
    ['http://localhost:3000', { HTTP_PROXY: 'http://egress:3128' }, undefined],
    ['http://app.localhost:3000', { HTTP_PROXY: 'http://egress:3128' }, undefined],
    ['http://127.0.0.5:3000', { HTTP_PROXY: 'http://egress:3128' }, undefined],
    ['http://[::1]:3000', { HTTP_PROXY: 'http://egress:3128' }, undefined],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', NO_PROXY: '*' }, undefined],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', NO_PROXY: 'oryapis.com' }, undefined],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', no_proxy: 'x.org, .projects.oryapis.com' }, undefined],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', NO_PROXY: 'notoryapis.com,apis.com' }, 'http://egress:3128/'],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', NO_PROXY: 'oryapis.com:80' }, 'http://egress:3128/'],
    ['https://acme.projects.oryapis.com', { HTTPS_PROXY: 'http://egress:3128', NO_PROXY: 'oryapis.com:443' }, undefined],
  ]
  for (const [target, env, expected] of cases) {
    assert.equal(egressProxyFor(new URL(target), env)?.href, expected, `${target} with ${JSON.stringify(env)}`)
  }
  assert.throws(() => egressProxyFor(new URL('https://x.example'), { HTTPS_PROXY: 'socks5://egress:1080' }), {
    name: 'ConfigError',
    message: '$HTTPS_PROXY must use http or https, got "socks5://egress:1080"',
  })
  assert.throws(() => egressProxyFor(new URL('http://x.example'), { HTTP_PROXY: 'http://[bad' }), ConfigError)
})

test('Ory behind HTTP_PROXY: /.ory requests and whoami go through CONNECT tunnels, the local app stays direct', async (t) => {
  const app = await startJwtApp(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  // A name only the forward proxy can resolve: reaching it proves the tunnel was used.
  const oryUrl = `http://ory.egress.test:${ory.port}`
  const forward = await startForwardProxy(t, { 'ory.egress.test': ory.port })
  const proxyEnv = { HTTP_PROXY: forward.url }
  const gate = new OrySessionGate(parseUpstream(oryUrl, 'ory', proxyEnv), { key: generateSigningKey(), logger: silentLogger })
  const proxy = await startTestProxy(t, app.url, oryUrl, { proxyEnv }, { gate })
  app.useProxy(proxy.url, oryUrl)

  const toOry = await request(`${proxy.url}/.ory/sessions/whoami`, { headers: { cookie: 'ory_session_x=A' } })
  assert.equal(toOry.statusCode, 200)
  assert.equal(((await toOry.body.json()) as { identity: { id: string } }).identity.id, 'identity-a')
  const toApp = await request(`${proxy.url}/page`, { headers: { cookie: 'ory_session_x=A' } })
  const view = (await toApp.body.json()) as { claims?: { sub?: string } }
  assert.equal(view.claims?.sub, 'identity-a')
  assert.ok(forward.connects.length >= 2, `CONNECTs: ${forward.connects.join(', ')}`)
  assert.ok(forward.connects.every((target) => target === `ory.egress.test:${ory.port}`), forward.connects.join(', '))
})

test('proxy credentials from the URL become Proxy-Authorization; a refusal or a dead proxy is a 502 naming it', async (t) => {
  const ory = await startUpstream(t)
  const app = await startUpstream(t)
  const oryUrl = `http://ory.egress.test:${ory.port}`
  const basic = `Basic ${Buffer.from('dev:p@ss').toString('base64')}`
  const forward = await startForwardProxy(t, { 'ory.egress.test': ory.port }, basic)
  const port = new URL(forward.url).port

  const withCredentials = await startTestProxy(t, app.url, oryUrl, { proxyEnv: { HTTP_PROXY: `http://dev:p%40ss@127.0.0.1:${port}` } })
  const ok = await request(`${withCredentials.url}/.ory/x`)
  assert.equal(ok.statusCode, 200)
  await ok.body.dump()

  const without = await startTestProxy(t, app.url, oryUrl, { proxyEnv: { HTTP_PROXY: forward.url } })
  const refused = await request(`${without.url}/.ory/x`, { headers: { accept: 'application/json' } })
  assert.equal(refused.statusCode, 502)
  assert.match(await refused.body.text(), /answered CONNECT ory\.egress\.test:\d+ with 407/)

  // The credentialed tunnel, then the one from a proxy URL without credentials.
  assert.deepEqual(forward.authorizations, [basic, undefined])

  const dead = await startTestProxy(t, app.url, oryUrl, { proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${await freePort()}` } })
  const unreachable = await request(`${dead.url}/.ory/x`, { headers: { accept: 'application/json' } })
  assert.equal(unreachable.statusCode, 502)
  assert.match(await unreachable.body.text(), /the proxy http:\/\/127\.0\.0\.1:\d+ could not be reached/)
  assert.equal(ory.requests.length, 1, 'only the authorised tunnel reached Ory')
  assert.deepEqual(app.requests, [])
})

test('a forward proxy URL that cannot be used is a one-line error with exit code 2', async () => {
  await expectUsageError(
    ['start', 'http://127.0.0.1:9', '--sdk-url', 'https://ory.egress.test', '--no-jwt', '--port', String(await freePort())],
    /^ory-proxy: \$HTTPS_PROXY must use http or https, got "socks5:\/\/egress:1080"$/m,
    { HTTPS_PROXY: 'socks5://egress:1080' },
  )
})

test('an https Ory behind HTTPS_PROXY: TLS to Ory inside the tunnel, verified against its name', async (t) => {
  // An https "Ory" whose certificate names only ory.egress.test, trusted through NODE_EXTRA_CA_CERTS.
  const tls = createDevCertificate(new Date(), { dns: ['ory.egress.test'], ip: [] })
  const ory = https.createServer(tls, (req, res) => res.end(JSON.stringify({ url: req.url, host: req.headers.host })))
  await new Promise<void>((resolve) => ory.listen(0, '127.0.0.1', resolve))
  t.after(() => ory.close())
  const oryPort = (ory.address() as AddressInfo).port
  const forward = await startForwardProxy(t, { 'ory.egress.test': oryPort })
  const app = await startUpstream(t)
  const ca = join(tempDir(t), 'ory-ca.pem')
  writeFileSync(ca, tls.cert)
  const start = async (env: Record<string, string>) => {
    const port = await freePort()
    const args = ['start', app.url, '--sdk-url', `https://ory.egress.test:${oryPort}`, '--no-jwt', '--port', String(port), '-y']
    await spawnCli(t, args, 'listening on port', { HTTPS_PROXY: forward.url, ...env })
    return `http://127.0.0.1:${port}`
  }

  const trusted = await start({ NODE_EXTRA_CA_CERTS: ca })
  const ok = await request(`${trusted}/.ory/hello`)
  assert.equal(ok.statusCode, 200)
  assert.deepEqual(await ok.body.json(), { url: '/hello', host: `ory.egress.test:${oryPort}` })
  assert.deepEqual(forward.connects, [`ory.egress.test:${oryPort}`])

  // The same tunnel without trusting the certificate: verification is not skipped because of it.
  const untrusted = await start({})
  const refused = await request(`${untrusted}/.ory/hello`, { headers: { accept: 'application/json' } })
  assert.equal(refused.statusCode, 502)
  assert.match(await refused.body.text(), /self[- ]signed certificate/)
})
