import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { request } from 'undici'
import { BIN, cleanEnv, expectUsageError as expectCliUsageError, runCli, spawnCli, waitForStderr } from '../helpers/cli.js'
import { CookieJar, csrfOf, openFlow, submitJson } from '../helpers/identity.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, heldResponder, startUpstream } from '../helpers/upstream.js'

/** Bad input: one line on stderr starting `ory-proxy:`, no stack trace, exit code 2. */
const expectUsageError = (args: string[], pattern: RegExp, env: Record<string, string> = {}) =>
  expectCliUsageError(['start', ...args], pattern, env)

test('start --help lists every flag of ory proxy plus ours, and exits 0', async () => {
  const result = await runCli(['start', '--help'])
  assert.equal(result.code, 0)
  for (const flag of [
    '--additional-cors-headers',
    '--allowed-cors-origins',
    '-c, --config',
    '--cookie-domain',
    '--debug',
    '--default-redirect-url',
    '--[no-]dev',
    '--no-jwt',
    '--open',
    '--port',
    '--project',
    '-q, --quiet',
    '--rewrite-host',
    '--workspace',
    '-y, --yes',
    '--sdk-url',
    '--upstream-timeout',
    '--api-key-expiry',
    '--identity-store',
    '--identity-schema',
  ]) {
    assert.ok(result.stdout.includes(flag), `help lists ${flag}`)
  }
  assert.match(result.stdout, /Deprecated/)
  assert.match(result.stdout, /env: PORT/)
  assert.match(result.stdout, /env: ORY_PROJECT/)
  assert.match(result.stdout, /env: ORY_SDK_URL/)
})

// Four CLI runs at a time: each is a separate process that exits at once.
test('bad input is one line on stderr and exit code 2', { concurrency: 4 }, async (t) => {
  const ory = 'http://127.0.0.1:4433'
  const blocker = join(tempDir(t), 'file')
  writeFileSync(blocker, '')
  const cases: Array<[string, string[], RegExp, Record<string, string>?]> = [
    ['missing application-url', ['--sdk-url', ory], /missing <application-url>/],
    ['relative application-url', ['localhost:3000', '--sdk-url', ory], /application-url must use http or https/],
    ['ftp application-url', ['ftp://localhost/', '--sdk-url', ory], /application-url must use http or https/],
    ['garbage application-url', ['not a url', '--sdk-url', ory], /application-url must be an absolute http\(s\) URL/],
    ['application-url with query', ['http://localhost:3000/?a=1', '--sdk-url', ory], /must not have a query/],
    ['publish-url with a path', ['http://localhost:3000', 'http://localhost:4000/app', '--sdk-url', ory], /publish-url must not have a path/],
    ['port 0', ['http://localhost:3000', '--port', '0', '--sdk-url', ory], /port/i],
    ['port 70000', ['http://localhost:3000', '--port', '70000', '--sdk-url', ory], /port/i],
    ['port abc', ['http://localhost:3000', '--port', 'abc', '--sdk-url', ory], /integer/i],
    ['unusable --identity-store', ['http://localhost:3000', '--identity-store', '/nonexistent/dir/ids.json'], /--identity-store: cannot write \/nonexistent\/dir\/ids\.json/],
    ['--identity-store with an Ory endpoint', ['http://localhost:3000', '--sdk-url', ory, '--identity-store', 'ids.json'], /--identity-store is for the built-in identity server, but --sdk-url selects an Ory endpoint/],
    ['--identity-schema with an Ory endpoint', ['http://localhost:3000', '--sdk-url', ory, '--identity-schema', 'schema.json'], /--identity-schema is for the built-in identity server, but --sdk-url selects an Ory endpoint/],
    ['missing --identity-schema', ['http://localhost:3000', '--identity-schema', '/nonexistent/schema.json'], /--identity-schema: cannot read \/nonexistent\/schema\.json: ENOENT/],
    ['two endpoint flags', ['http://localhost:3000', '--project', 'my-slug', '--sdk-url', ory], /--project \(my-slug\) and --sdk-url .* both select the Ory endpoint/],
    ['two endpoint env vars', ['http://localhost:3000'], /\$ORY_PROJECT \(my-slug\) and \$ORY_SDK_URL .* both select/, { ORY_PROJECT: 'my-slug', ORY_SDK_URL: ory }],
    ['ORY_SDK_URL and ORY_KRATOS_URL differ', ['http://localhost:3000'], /\$ORY_SDK_URL .* and \$ORY_KRATOS_URL .* both select/, { ORY_SDK_URL: ory, ORY_KRATOS_URL: 'http://127.0.0.1:9' }],
    ['project is not a slug', ['http://localhost:3000', '--project', 'Not A Slug'], /--project must be a project slug/],
    ['Ory endpoint is the proxy itself', ['http://localhost:3000', '--port', '4555', '--sdk-url', 'http://localhost:4555'], /is the proxy itself/],
    ['app is the proxy itself', ['http://127.0.0.1:4556', '--port', '4556', '--sdk-url', ory], /application-url .* is the proxy itself/],
    ['unreadable --config', ['http://localhost:3000', '--sdk-url', ory, '-c', '/nonexistent/ory.json'], /--config \/nonexistent\/ory.json cannot be read/],
    ['bad --api-key-expiry', ['http://localhost:3000', '--sdk-url', ory, '--api-key-expiry', '-1h'], /--api-key-expiry must not be negative/],
    ['bad --upstream-timeout', ['http://localhost:3000', '--sdk-url', ory, '--upstream-timeout', 'soon'], /--upstream-timeout must be a duration/],
    ['bad CORS origin', ['http://localhost:3000', '--sdk-url', ory, '--allowed-cors-origins', 'localhost:3000'], /--allowed-cors-origins must be origins/],
    // One value per use of a repeatable flag: what follows is the publish-url, not another origin.
    ['publish-url after --allowed-cors-origins', ['http://localhost:3000', '--sdk-url', ory, '--allowed-cors-origins', 'https://a.example', 'nonsense'], /publish-url .*"nonsense"/],
    ['publish-url after --additional-cors-headers', ['http://localhost:3000', '--sdk-url', ory, '--additional-cors-headers', 'X-Foo', 'nonsense'], /publish-url .*"nonsense"/],
    ['bad cookie domain', ['http://localhost:3000', '--sdk-url', ory, '--cookie-domain', 'a b'], /--cookie-domain must be a host name/],
    ['bad CORS header name', ['http://localhost:3000', '--sdk-url', ory, '--additional-cors-headers', 'X Foo'], /--additional-cors-headers must be header names, got "X Foo"/],
    ['ftp --default-redirect-url', ['http://localhost:3000', '--sdk-url', ory, '--default-redirect-url', 'ftp://x.example/'], /--default-redirect-url must use http or https/],
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, nothing is sent.
    // Under a file, so nothing (Node 24's compile cache included) can make it.
    ['no temp dir for the admin token file', ['http://localhost:3000', '--no-jwt', '--port', String(await freePort())], /cannot write the identity admin token file in .*\/file\/tmp: .*ENOTDIR/, { TMPDIR: join(blocker, 'tmp') }],
    ['--metrics on an address this machine lacks', ['http://localhost:3000', '--sdk-url', ory, '--no-jwt', '--metrics', '192.0.2.1:9464'], /cannot listen on --metrics port 9464: .*EADDRNOTAVAIL/],
    ['unknown flag', ['http://localhost:3000', '--sdk-url', ory, '--frobnicate'], /frobnicate/],
  ]
  await Promise.all(cases.map(([name, args, pattern, env]) => t.test(name, () => expectUsageError(args, pattern, env))))
})

test('below the Node.js floor of package.json: one line and exit code 2, not a crash in a dependency', () => {
  const older = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.17.0"})'
  const result = spawnSync(process.execPath, ['--import', older, BIN, 'start', 'http://localhost:3000'], { encoding: 'utf8', env: cleanEnv() })
  assert.equal(result.status, 2)
  assert.equal(result.stderr, 'ory-proxy: needs Node.js 20.18 or later; this is Node.js 20.17.0\n')
})

test('a port in use is a one-line error with exit code 2', async (t) => {
  const busy = await startUpstream(t)
  await expectUsageError(['http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--port', String(busy.port)], /port \d+ is already in use/)
  // With the built-in identity server already running, the failed start still exits at once.
  await expectUsageError(['http://127.0.0.1:9', '--port', String(busy.port)], /port \d+ is already in use/)
})

test('an unreadable config file is named in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ory-proxy-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, '{}')
  chmodSync(file, 0o000)
  if (process.getuid?.() === 0) return // root reads anything; the nonexistent-path case covers this
  await expectUsageError(['http://localhost:3000', '--sdk-url', 'http://127.0.0.1:1', '-c', file], /cannot be read/)
})

test('start runs as a black box: banner, proxying, env selection, SIGTERM exits 0', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', `${app.url}/base`], 'To access your application', {
    PORT: String(port),
    ORY_KRATOS_URL: ory.url,
  })
  assert.match(cli.stderr, new RegExp(`http://localhost:${port}`))
  assert.match(cli.stderr, new RegExp(`app:  ${app.url}/base`))
  assert.match(cli.stderr, /ORY_KRATOS_URL/)
  assert.match(cli.stderr, /jwt: {2}on/)

  const toApp = await request(`http://127.0.0.1:${port}/page?q=1`)
  assert.equal(toApp.statusCode, 200)
  assert.equal(((await toApp.body.json()) as { url: string }).url, '/base/page?q=1')
  const toOry = await request(`http://127.0.0.1:${port}/.ory/sessions/whoami`)
  assert.equal(((await toOry.body.json()) as { url: string }).url, '/sessions/whoami')

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.match(cli.stderr, /shutdown gracefully/)
})

test('repeatable flags take one value each, as ory proxy does: the publish-url after them stays the publish-url', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const publish = `http://127.0.0.1:${port}`
  const cli = await spawnCli(
    t,
    ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt',
      '--allowed-cors-origins', 'https://a.example', '--allowed-cors-origins', 'https://b.example,https://c.example', publish],
    'listening on port',
  )
  assert.match(cli.stderr, new RegExp(`open:\\s+${publish}\\n`))
  for (const origin of ['https://a.example', 'https://c.example']) {
    const preflight = await request(`${publish}/api`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    })
    await preflight.body.dump()
    assert.equal(preflight.headers['access-control-allow-origin'], origin)
  }
  const other = await request(`${publish}/api`, { method: 'OPTIONS', headers: { origin: 'https://d.example', 'access-control-request-method': 'POST' } })
  await other.body.dump()
  assert.equal(other.headers['access-control-allow-origin'], undefined)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})

test('a $PORT that is no port number is ignored, as by ory proxy: a warning, then port 4000 (or --port)', async (t) => {
  const app = await startUpstream(t)
  // Without --port: the warning says where it listens instead (4000 may be taken here; the warning comes first).
  const fallback = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '-q'], /warning: \$PORT/, { PORT: 'abc' })
  fallback.child.kill('SIGKILL')
  assert.match(fallback.stderr, /ory-proxy: warning: \$PORT is "abc", not a port number; listening on 4000\n/)
  // With --port, $PORT does not matter and nothing is said about it.
  const port = await freePort()
  const explicit = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '-q', '--port', String(port)], 'ready', { PORT: '70000' })
  assert.deepEqual(explicit.stderr.trim().split('\n'), [`ory-proxy ready on http://localhost:${port}`])
  const toApp = await request(`http://127.0.0.1:${port}/`)
  assert.equal(toApp.statusCode, 200)
  await toApp.body.dump()
  explicit.child.kill('SIGTERM')
  assert.equal(await explicit.exited, 0)
})

test('ory proxy command lines work as written: --switch=false, --switch=true, a flag repeated (the last counts)', async (t) => {
  const app = await startUpstream(t)
  const [first, port] = [await freePort(), await freePort()]
  const cli = await spawnCli(
    t,
    ['start', app.url, '--sdk-url', app.url, '--dev=false', '--no-jwt=true', '--quiet=true', '--port', String(first), '--port', String(port)],
    'ready',
  )
  assert.deepEqual(cli.stderr.trim().split('\n'), ['ory-proxy: warning: --dev is deprecated and has no effect', `ory-proxy ready on http://localhost:${port}`])
  const toApp = await request(`http://127.0.0.1:${port}/`, { headers: { cookie: 'ory_kratos_session=x' } })
  assert.equal(toApp.statusCode, 200)
  await toApp.body.dump()
  assert.deepEqual(app.requests.map((seen) => seen.headers.authorization), [undefined], '--no-jwt=true: no whoami, no JWT')
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})

test('--quiet prints exactly one ready line', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '-q'], 'ready')
  cli.child.kill('SIGTERM')
  await cli.exited
  assert.deepEqual(cli.stderr.trim().split('\n'), [`ory-proxy ready on http://localhost:${port}`])
})

test('what is piped to stdin is never taken for an argument', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port)], 'listening on port', {}, 'http://piped.test:9999\ny\n')
  assert.match(cli.stderr, new RegExp(`open:\\s+http://localhost:${port}\\n`))
  assert.doesNotMatch(cli.stderr, /piped\.test/)
  const toApp = await request(`http://127.0.0.1:${port}/`)
  assert.equal(toApp.statusCode, 200)
  await toApp.body.dump()
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)

  const withoutApp = await runCli(['start', '--sdk-url', app.url], {}, 20_000, `${app.url}\n`)
  assert.equal(withoutApp.code, 2)
  assert.match(withoutApp.stderr, /missing <application-url>/)
})

test('a second Ctrl-C while requests drain stops at once with exit code 130, cutting only the request in flight', async (t) => {
  const held = heldResponder()
  const app = await startUpstream(t, held.responder)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--port', String(port)], 'listening on port')
  const inFlight = request(`http://127.0.0.1:${port}/slow`).then(
    (response) => response.body.text(),
    (error: Error) => error,
  )
  await held.arrived
  cli.child.kill('SIGINT')
  await waitForStderr(cli, /SIGINT: finishing in-flight requests/)
  cli.child.kill('SIGINT')
  // 130, not the 0 a finished drain gives: the second signal ended it.
  assert.equal(await cli.exited, 130)
  const outcome = await inFlight
  assert.ok(outcome instanceof Error, `the held request was cut, got ${String(outcome)}`)
  held.release()
})

test('--dev is accepted with a deprecation warning', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--dev'], 'To access')
  assert.match(cli.stderr, /--dev is deprecated/)
  cli.child.kill('SIGINT')
  assert.equal(await cli.exited, 0)
})

test('with no Ory endpoint, start runs the built-in identity server, and a person registers through the proxy', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const publish = `http://localhost:${port}`
  const cli = await spawnCli(t, ['start', app.url, '--port', String(port)], 'To access your application')
  assert.match(cli.stderr, /ory: {2}http:\/\/127\.0\.0\.1:\d+ {2}\(built-in identity server\)/)
  assert.match(cli.stderr, new RegExp(`auth: dev only, in-memory; sign up at ${publish}/.ory/ui/registration`))

  const jar = new CookieJar()
  const flow = await openFlow(jar, `http://127.0.0.1:${port}/.ory`, 'registration')
  assert.ok(flow.ui.action.startsWith(`${publish}/.ory/self-service/registration?flow=`), flow.ui.action)
  const done = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'cli@example.org' }, password: 'correct horse battery' })
  assert.equal(done.status, 200)
  const whoami = await jar.fetch(`http://127.0.0.1:${port}/.ory/sessions/whoami`)
  assert.equal(((await whoami.json()) as { identity: { traits: { email: string } } }).identity.traits.email, 'cli@example.org')

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.match(cli.stderr, /shutdown gracefully/)
})

test('start --identity-store keeps the built-in server\'s identities in the file and says so', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--port', String(port), '--identity-store', file], 'To access your application')
  assert.match(cli.stderr, new RegExp(`auth: dev only, identities and sessions in ${file}`))
  const jar = new CookieJar()
  const flow = await openFlow(jar, `http://127.0.0.1:${port}/.ory`, 'registration')
  const done = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'filed@example.org' }, password: 'correct horse battery' })
  assert.equal(done.status, 200)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.match(readFileSync(file, 'utf8'), /filed@example\.org/)
})

test('start --identity-schema: registration through the proxy takes the schema\'s traits; each code is one courier line on stderr, even with -q', async (t) => {
  const file = join(tempDir(t), 'schema.json')
  const email = { type: 'string', format: 'email', 'ory.sh/kratos': { credentials: { password: { identifier: true } }, verification: { via: 'email' } } }
  const schema = { type: 'object', properties: { traits: { type: 'object', properties: { email, name: { type: 'object', properties: { first: { type: 'string' } }, required: ['first'] } }, required: ['email', 'name'] } } }
  writeFileSync(file, JSON.stringify(schema))
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--port', String(port), '--identity-schema', file, '--no-jwt', '-q'], 'ready')
  const ory = `http://127.0.0.1:${port}/.ory`
  assert.deepEqual(((await (await fetch(`${ory}/schemas/ZGVmYXVsdA`)).json()) as typeof schema).properties.traits.required, ['email', 'name'])
  const jar = new CookieJar()
  const flow = await openFlow(jar, ory, 'registration')
  const missing = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'typed@example.org' }, password: 'correct horse battery' })
  assert.equal(missing.status, 400)
  const done = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'typed@example.org', name: { first: 'Ty' } }, password: 'correct horse battery' })
  assert.equal(done.status, 200)
  const line = /^ory-proxy: courier: verification code for typed@example\.org: (\d{6})$/m
  await waitForStderr(cli, line)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})
