import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { expectUsageError, runCli, spawnCli } from '../helpers/cli.js'
import { CookieJar, csrfOf, openFlow, registerUser, submitJson } from '../helpers/identity.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const PASSWORD = 'correct horse battery'

const expectIdentityServerError = (args: string[], pattern: RegExp) => expectUsageError(['identity-server', ...args], pattern)

test('identity-server --help lists its flags and exits 0', async () => {
  const result = await runCli(['identity-server', '--help'])
  assert.equal(result.code, 0)
  for (const flag of ['--port', '--identity-store', '--base-url', '--session-lifespan']) assert.ok(result.stdout.includes(flag), flag)
  assert.match(result.stdout, /default: 4433/)
})

test('identity-server runs alone: prints where it listens, serves sign-up and whoami, SIGTERM exits 0', async (t) => {
  const port = await freePort()
  const adminPort = await freePort()
  const cli = await spawnCli(t, ['identity-server', '--port', String(port), '--admin-port', String(adminPort)], 'outbox:')
  const url = `http://127.0.0.1:${port}`
  assert.match(cli.stderr, new RegExp(`identity server \\(dev only, in-memory\\) on ${url}`))
  assert.match(cli.stderr, new RegExp(`sign up: {2}${url}/ui/registration`))
  // The generated admin token is in a 0600 file whose path is printed, never in the output.
  const tokenFile = /with the token in (\S+)/.exec(cli.stderr)?.[1]
  assert.ok(tokenFile, cli.stderr)
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600)
  const adminToken = readFileSync(tokenFile, 'utf8').trim()
  assert.ok(adminToken.length >= 32 && !cli.stderr.includes(adminToken))

  const jar = await registerUser(url, 'cli@example.org', PASSWORD)
  const whoami = await jar.fetch(`${url}/sessions/whoami`)
  const session = (await whoami.json()) as { id: string; identity: { traits: { email: string } } }
  assert.equal(session.identity.traits.email, 'cli@example.org')
  // The printed admin token works.
  assert.match(cli.stderr, new RegExp(`admin: {4}http://127\\.0\\.0\\.1:${adminPort} `))
  const revoke = `/admin/sessions/${session.id}`
  assert.equal((await fetch(`${url}${revoke}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } })).status, 404, 'not on the public port')
  const revoked = await fetch(`http://127.0.0.1:${adminPort}${revoke}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } })
  assert.equal(revoked.status, 204)

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.match(cli.stderr, /shutdown gracefully/)
  assert.equal(existsSync(tokenFile), false, 'the token file goes with the server')
})

test('identity-server --identity-store keeps identities across restarts; --base-url and --session-lifespan apply', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const first = await spawnCli(t, ['identity-server', '--port', String(port), '--admin-port', String(await freePort()), '--identity-store', file], 'outbox:')
  assert.match(first.stderr, new RegExp(`dev only, identities and sessions in ${file}`))
  await registerUser(url, 'kept@example.org', PASSWORD)
  first.child.kill('SIGINT')
  assert.equal(await first.exited, 0)
  assert.match(readFileSync(file, 'utf8'), /kept@example\.org/)

  const base = `http://localhost:${port}`
  const second = await spawnCli(
    t,
    ['identity-server', '--port', String(port), '--admin-port', String(await freePort()), '--identity-store', file, '--base-url', base, '--session-lifespan', '90m'],
    'outbox:',
  )
  assert.match(second.stderr, new RegExp(`on ${base}`))
  const jar = new CookieJar()
  const flow = await openFlow(jar, url, 'login')
  assert.ok(flow.ui.action.startsWith(`${base}/self-service/login?flow=`), flow.ui.action)
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), identifier: 'kept@example.org', password: PASSWORD })
  assert.equal(response.status, 200)
  assert.match(response.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session'))!, /Max-Age=5400;/)
  second.child.kill('SIGTERM')
  assert.equal(await second.exited, 0)
})

test('identity-server: bad input is one line on stderr and exit code 2', async (t) => {
  const dir = tempDir(t)
  const corrupt = join(dir, 'corrupt.json')
  writeFileSync(corrupt, '{"not":"a store"}')
  const busy = await startUpstream(t)
  await expectIdentityServerError(['--session-lifespan', 'soon'], /--session-lifespan must be a duration/)
  await expectIdentityServerError(['--session-lifespan', '0'], /--session-lifespan must be longer than 0/)
  await expectIdentityServerError(['--base-url', 'http://localhost:4433/auth', '--port', String(await freePort())], /--base-url must not have a path/)
  await expectIdentityServerError(['--port', '0'], /port/i)
  await expectIdentityServerError(['--port', String(busy.port)], /port \d+ is already in use/)
  await expectIdentityServerError(['--identity-store', corrupt, '--port', String(await freePort())], /--identity-store: .*corrupt\.json is not an ory-proxy identity store/)
  await expectIdentityServerError(['--identity-store', join(dir, 'missing', 'x.json'), '--port', String(await freePort())], /--identity-store: cannot write/)
  await expectIdentityServerError(['--port', String(await freePort()), '--admin-port', String(busy.port)], /--admin-port port \d+ is already in use; stop what runs there or pass another --admin-port/)
})

test('identity-server --identity-schema: a file that is not a usable Kratos schema is one line on stderr and exit code 2', async (t) => {
  const dir = tempDir(t)
  const write = (name: string, text: string) => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const traits = (properties: unknown) => JSON.stringify({ type: 'object', properties: { traits: { type: 'object', properties } } })
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'absent.json'), /--identity-schema: cannot read .*absent\.json: ENOENT/],
    [write('broken.json', '{"type":'), /--identity-schema: .*broken\.json is not JSON/],
    [write('no-traits.json', '{"type":"object"}'), /properties\.traits must be an object schema with properties/],
    [write('no-identifier.json', traits({ name: { type: 'string' } })), /no trait is a password identifier/],
    [write('sms.json', traits({ phone: { type: 'string', 'ory.sh/kratos': { credentials: { password: { identifier: true } }, verification: { via: 'sms' } } } })), /traits\.phone: .*verification\.via must be "email"/],
    [write('bad-schema.json', traits({ email: { type: 'string', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } }, age: { type: 'integer', minimum: 'ten' } })), /not a valid JSON Schema/],
  ]
  for (const [file, pattern] of cases) await expectIdentityServerError(['--identity-schema', file, '--port', String(await freePort())], pattern)
})
