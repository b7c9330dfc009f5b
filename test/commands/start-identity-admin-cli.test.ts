import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { Configuration, FrontendApi, IdentityApi } from '@ory/client-fetch'
import { expectUsageError, spawnCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const PASSWORD = 'correct horse battery'
/** 'imported-secret-1' hashed by Python's bcrypt (see test/identity/password.test.ts). */
const BCRYPT = '$2b$04$56g7Y5WXVZmD64pWkOx3s.famiR766f9f.pkc5JiKBeo87nuhiqiG'

/** The API login flow through the proxy (the documented way to get a session without the UI); the session token. */
async function apiLogin(oryUrl: string, identifier: string, password: string): Promise<string> {
  const frontend = new FrontendApi(new Configuration({ basePath: oryUrl, headers: { accept: 'application/json' } }))
  const flow = await frontend.createNativeLoginFlow()
  const done = await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier, password } })
  return done.session_token!
}

test('start prints where the admin API listens and the file holding its token, never the token; the admin API creates a user who signs in through the proxy', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, `http://127.0.0.1:${port}`, '--port', String(port), '--no-jwt', '-y'], 'To access your application')
  const match = /admin: (http:\/\/127\.0\.0\.1:\d+) with the token in (\S+) /.exec(cli.stderr)
  assert.ok(match, cli.stderr)
  const [, adminUrl, tokenFile] = match
  assert.equal(statSync(tokenFile!).mode & 0o777, 0o600)
  const token = readFileSync(tokenFile!, 'utf8').trim()
  assert.ok(!cli.stderr.includes(token), 'the token is in no output line')

  const admin = new IdentityApi(new Configuration({ basePath: adminUrl, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }))
  await admin.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email: 'cli-admin@example.org' }, credentials: { password: { config: { password: PASSWORD } } } },
  })
  const oryUrl = `http://127.0.0.1:${port}/.ory`
  const session = await apiLogin(oryUrl, 'cli-admin@example.org', PASSWORD)
  const whoami = await fetch(`${oryUrl}/sessions/whoami`, { headers: { 'x-session-token': session } })
  assert.equal(whoami.status, 200)
  assert.equal((await fetch(`${oryUrl}/admin/identities`, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'no admin path through the proxy')

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.equal(existsSync(tokenFile!), false, 'the token file goes at shutdown')
  assert.ok(!cli.stderr.includes(token))
})

test('--identity-admin-token (or ORY_PROXY_IDENTITY_ADMIN_TOKEN) is the admin token, --identity-admin-port its port; --identities imports users at start', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'users.json')
  writeFileSync(
    file,
    JSON.stringify([
      { schema_id: 'default', traits: { email: 'alice@example.org' }, credentials: { password: { config: { password: PASSWORD } } } },
      { traits: { email: 'bob@example.org' }, credentials: { password: { config: { hashed_password: BCRYPT } } } },
    ]),
  )
  const app = await startUpstream(t)
  const port = await freePort()
  const token = 'ci-admin-token-0123456789'
  const adminPort = await freePort()
  const args = ['start', app.url, `http://127.0.0.1:${port}`, '--port', String(port), '--no-jwt', '-y', '--identities', file, '--identity-admin-port', String(adminPort)]
  const cli = await spawnCli(t, args, 'To access your application', {
    ORY_PROXY_IDENTITY_ADMIN_TOKEN: token,
  })
  assert.match(cli.stderr, /2 identities imported from /)
  assert.match(cli.stderr, /admin: http:\/\/127\.0\.0\.1:\d+ with the token given in --identity-admin-token/)
  assert.ok(!cli.stderr.includes(token))
  const oryUrl = `http://127.0.0.1:${port}/.ory`
  await apiLogin(oryUrl, 'alice@example.org', PASSWORD)
  await apiLogin(oryUrl, 'bob@example.org', 'imported-secret-1')
  const adminUrl = /admin: (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stderr)![1]
  assert.equal(adminUrl, `http://127.0.0.1:${adminPort}`)
  const listed = await fetch(`${adminUrl}/admin/identities`, { headers: { authorization: `Bearer ${token}` } })
  assert.deepEqual(((await listed.json()) as Array<{ traits: { email: string } }>).map((i) => i.traits.email), ['alice@example.org', 'bob@example.org'])
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})

test('a bad --identities file is one line and exit code 2', async (t) => {
  const dir = tempDir(t)
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'missing.json'), /--identities: cannot read .*missing\.json: ENOENT/],
    [write('broken.json', '[{'), /--identities: .*broken\.json is not JSON/],
    [write('object.json', '{"traits":{}}'), /--identities: .*object\.json: must be a JSON array/],
    [write('invalid.json', '[{"traits":{"email":"ok@example.org"}},{"traits":{"email":"nope"}}]'), /identity #2: .*traits\.email: "nope" is not valid "email"/],
    [write('hash.json', '[{"traits":{"email":"a@example.org"},"credentials":{"password":{"config":{"hashed_password":"$md5$abc"}}}}]'), /identity #1: .*not a hash the built-in identity server can check/],
    [write('twice.json', '[{"traits":{"email":"a@example.org"}},{"traits":{"email":"A@example.org"}}]'), /identity #2: This identity conflicts/],
  ]
  for (const [file, pattern] of cases) await expectUsageError(['start', 'http://localhost:3000', '--identities', file], pattern)
  await expectUsageError(['start', 'http://localhost:3000', '--sdk-url', 'http://127.0.0.1:4433', '--identities', write('ok.json', '[]')], /--identities is for the built-in identity server/)
  await expectUsageError(['start', 'http://localhost:3000', '--identity-admin-token', 'short'], /admin token must be at least 8/)
})
