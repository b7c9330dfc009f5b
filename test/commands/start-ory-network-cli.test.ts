import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { BIN, cleanEnv, expectUsageError, ROOT, spawnCli } from '../helpers/cli.js'
import { startFakeConsole, type FakeConsole } from '../helpers/console.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

/** A fake console with two projects, a workspace key and a project key. */
async function setup(t: TestContext): Promise<{ console: FakeConsole; projectId: string; env: Record<string, string> }> {
  const console = await startFakeConsole(t)
  const workspace = console.addWorkspace('Acme')
  const projectId = console.addProject(workspace, 'acme-prod-s9mkjq3ci1').id
  console.addProject(workspace, 'acme-preview-k2j3h4g5f6')
  console.grant('ws-key', { workspaces: [workspace] })
  console.grant('project-key', { project: projectId })
  return { console, projectId, env: { ORY_CONSOLE_API_URL: console.url } }
}

/** Bad input: one `ory-proxy: …` line, exit code 2, and no API key created. */
async function expectStartError(console: FakeConsole, args: string[], env: Record<string, string>, pattern: RegExp) {
  await expectUsageError(['start', 'http://127.0.0.1:9', '--no-jwt', '--port', String(await freePort()), ...args], pattern, env)
  assert.equal(console.keys.length, 0, 'bad input never creates an API key')
}

test('project and console errors are one line on stderr and exit code 2', { concurrency: 4 }, async (t) => {
  const { console, projectId, env } = await setup(t)
  const dir = tempDir(t)
  const malformed = join(dir, 'malformed.json')
  writeFileSync(malformed, '{"version":"v1",')
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a project ID without a key', ['--project', projectId], {}, /is a project ID, looked up in the Ory console, which needs an API key: set ORY_WORKSPACE_API_KEY/],
    ['a workspace without a key', ['--project', 'acme-prod-s9mkjq3ci1', '--workspace', 'Acme'], {}, /--workspace \(Acme\) is looked up in the Ory console, which needs an API key/],
    ['an ambiguous prefix', ['--project', 'acme-pr'], { ORY_WORKSPACE_API_KEY: 'ws-key' }, /"acme-pr" matches 2 projects .*: acme-prod-s9mkjq3ci1 \(.*\), acme-preview-k2j3h4g5f6/],
    ['an unknown project', ['--project', 'zeta'], { ORY_WORKSPACE_API_KEY: 'ws-key' }, /no project matches "zeta" among the 2 projects \$ORY_WORKSPACE_API_KEY can see at http:\/\/127\.0\.0\.1:\d+; known: /],
    ['an unknown workspace', ['--project', 'acme', '--workspace', 'Zeta'], { ORY_WORKSPACE_API_KEY: 'ws-key' }, /no workspace matches "Zeta" among the 1 workspaces/],
    ['a refused key', ['--project', 'acme-prod'], { ORY_WORKSPACE_API_KEY: 'revoked' }, /answered GET \/projects with 401 .*; check \$ORY_WORKSPACE_API_KEY/],
    ['a console that does not answer', ['--project', 'acme-prod'], { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_CONSOLE_API_URL: 'http://127.0.0.1:1' }, /did not answer GET \/projects: ECONNREFUSED/],
    ['--project with ORY_PROJECT_API_KEY', ['--project', 'acme-prod'], { ORY_PROJECT_API_KEY: 'project-key' }, /ORY_PROJECT_API_KEY selects its own project; remove --project/],
    ['-c naming a missing file', ['-c', join(dir, 'absent.json')], {}, new RegExp(`--config ${join(dir, 'absent.json')} cannot be read: ENOENT`)],
    ['$ORY_CONFIG_PATH naming a malformed file', [], { ORY_CONFIG_PATH: malformed }, new RegExp(`--config ${malformed} is not JSON`)],
    ['a bad --api-key-expiry', ['--project', 'acme-prod', '--api-key-expiry', '12 hours'], { ORY_WORKSPACE_API_KEY: 'ws-key' }, /--api-key-expiry must be a duration/],
    ['a bad application-url after the lookup', ['--project', 'acme-prod', 'extra-arg-is-publish-url'], { ORY_WORKSPACE_API_KEY: 'ws-key' }, /publish-url must be an absolute http\(s\) URL/],
  ]
  await Promise.all(cases.map(([name, args, extra, pattern]) => t.test(name, () => expectStartError(console, args, { ...env, ...extra }, pattern))))
})

test('a workspace key: a temporary key is created at start with its expiry, never reaches the app, and is deleted on SIGTERM', async (t) => {
  const { console, projectId, env } = await setup(t)
  const app = await startUpstream(t)
  const port = await freePort()
  const before = Date.now()
  const cli = await spawnCli(
    t,
    ['start', app.url, '--project', 'acme-prod', '--no-jwt', '--port', String(port), '--api-key-expiry', '2h'],
    'listening on port',
    { ...env, ORY_WORKSPACE_API_KEY: 'ws-key' },
  )
  assert.equal(console.keys.length, 1)
  const key = console.keys[0]!
  assert.equal(key.projectId, projectId)
  const expires = Date.parse(key.expiresAt!)
  assert.ok(expires >= before + 7_200_000 && expires <= Date.now() + 7_200_000, `expires_at ${key.expiresAt} is 2 h from now`)
  assert.match(cli.stderr, /ory: {2}https:\/\/acme-prod-s9mkjq3ci1\.projects\.oryapis\.com {2}\(--project\)/)

  // Whatever the client sends, the app sees neither the key nor Ory's rewrite headers.
  for (const path of ['/', '/page?x=1', '/.orything']) {
    const response = await request(`http://127.0.0.1:${port}${path}`, {
      headers: { 'ory-base-url-rewrite-token': 'client-value', 'ory-base-url-rewrite': 'http://evil.example' },
    })
    assert.equal(response.statusCode, 200)
    await response.body.dump()
  }
  assert.equal(app.requests.length, 3)
  for (const seen of app.requests) {
    assert.ok(!seen.rawHeaders.some((h) => h.includes(key.value)), 'the key value never reaches the app')
    assert.equal(seen.headers['ory-base-url-rewrite-token'], undefined)
    assert.equal(seen.headers['ory-base-url-rewrite'], undefined)
  }
  assert.ok(!console.calls.some((c) => c.method === 'DELETE'), 'not deleted while running')

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.equal(key.deleted, true, 'deleted on shutdown')
  assert.doesNotMatch(cli.stderr, new RegExp(key.value), 'the key is never printed')
})

test('a console that answers with something else (a captive portal page, another shape) is one line and exit code 2', { concurrency: 2 }, async (t) => {
  const portal = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html><body>Sign in to the Wi-Fi first</body></html>')
  })
  const other = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"projects":"none here"}')
  })
  const start = async (console: string, pattern: RegExp) =>
    expectUsageError(['start', 'http://127.0.0.1:9', '--no-jwt', '--port', String(await freePort()), '--project', 'acme-prod'], pattern, {
      ORY_CONSOLE_API_URL: console,
      ORY_WORKSPACE_API_KEY: 'ws-key',
    })
  await Promise.all([
    t.test('HTML', () => start(portal.url, /the Ory console API at http:\/\/127\.0\.0\.1:\d+ answered GET \/projects with something other than JSON$/)),
    t.test('another shape', () => start(other.url, /answered GET \/projects in an unexpected shape$/)),
  ])
})

test('a start that fails after the temporary key was made (the port is taken) deletes the key before it exits', async (t) => {
  const { console, env } = await setup(t)
  const busy = await startUpstream(t)
  await expectUsageError(['start', 'http://127.0.0.1:9', '--project', 'acme-prod', '--no-jwt', '--port', String(busy.port)], /port \d+ is already in use/, {
    ...env,
    ORY_WORKSPACE_API_KEY: 'ws-key',
  })
  assert.equal(console.keys.length, 1, 'the key was made before the port was tried')
  assert.equal(console.keys[0]!.deleted, true, 'and deleted before the exit')
})

test('ORY_PROJECT_API_KEY with -q: one ready line, the key is used as it is, nothing is created or deleted', async (t) => {
  const { console, env } = await setup(t)
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '-q', '--no-jwt', '--port', String(port)], 'ready on', {
    ...env,
    ORY_PROJECT_API_KEY: 'project-key',
  })
  const response = await request(`http://127.0.0.1:${port}/`)
  assert.equal(response.statusCode, 200)
  await response.body.dump()
  assert.ok(!app.requests[0]!.rawHeaders.includes('project-key'))
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.deepEqual(cli.stderr.trim().split('\n'), [`ory-proxy ready on http://localhost:${port}`])
  assert.deepEqual(console.calls.map((c) => `${c.method} ${c.path}`), ['GET /projects'])
  assert.equal(console.keys.length, 0)
})

test('a key that cannot be deleted on shutdown is a warning naming it; the exit code stays 0', async (t) => {
  const { console, env } = await setup(t)
  const app = await startUpstream(t)
  const cli = await spawnCli(t, ['start', app.url, '--project', 'acme-prod', '--no-jwt', '--port', String(await freePort())], 'listening on port', {
    ...env,
    ORY_WORKSPACE_API_KEY: 'ws-key',
  })
  console.fail('delete')
  cli.child.kill('SIGINT')
  assert.equal(await cli.exited, 0)
  const key = console.keys[0]!
  assert.match(cli.stderr, new RegExp(`warning: could not delete the temporary API key "${key.name}" \\(id ${key.id}\\) of project acme-prod-s9mkjq3ci1: .*; it expires at ${key.expiresAt}`))
})

/** Runs the CLI on a terminal (util-linux `script` gives it a pty) with `typed` as the keyboard. */
function onTerminal(args: string[], env: Record<string, string>, typed: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: cleanEnv(env), cwd: ROOT })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stdin.end(typed)
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    }),
  )
}

test('an app that is not up, and "n" at the prompt on a terminal: one line, exit code 2, the temporary key deleted', async (t) => {
  const { console, env } = await setup(t)
  const appPort = await freePort()
  const port = await freePort()
  const result = await onTerminal(['start', `http://127.0.0.1:${appPort}`, '--project', 'acme-prod', '--no-jwt', '--port', String(port)], { ...env, ORY_WORKSPACE_API_KEY: 'ws-key' }, 'n\n')
  assert.equal(result.code, 2, result.output)
  assert.match(result.output, /Start the proxy anyway\?/)
  assert.match(result.output, new RegExp(`ory-proxy: stopped: the app at http://127\\.0\\.0\\.1:${appPort} is not reachable`))
  // The proxy, its key included, was up before the question: declining releases it.
  assert.equal(console.keys.length, 1)
  assert.equal(console.keys[0]!.deleted, true, 'no temporary key left behind')
})

test('an app that is not up yet is a warning; without a terminal the proxy starts anyway and answers 502', async (t) => {
  const ory = await startUpstream(t)
  const appPort = await freePort()
  const port = await freePort()
  const cli = await spawnCli(t, ['start', `http://127.0.0.1:${appPort}`, '--sdk-url', ory.url, '--no-jwt', '--port', String(port)], 'listening on port')
  assert.match(cli.stderr, new RegExp(`warning: the app at http://127.0.0.1:${appPort} is not reachable yet \\(ECONNREFUSED\\); requests for it get 502 until it is up`))
  const response = await request(`http://127.0.0.1:${port}/`)
  assert.equal(response.statusCode, 502)
  await response.body.dump()
})

test('$ORY_RATE_LIMIT_HEADER goes to Ory as Ory-RateLimit-Action, never to the app', async (t) => {
  const app = await startUpstream(t)
  const ory = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', ory.url, '--no-jwt', '--port', String(port)], 'listening on port', {
    ORY_RATE_LIMIT_HEADER: 'ci-bypass',
  })
  for (const path of ['/.ory/sessions/whoami', '/page']) {
    const response = await request(`http://127.0.0.1:${port}${path}`, { headers: { 'ory-ratelimit-action': 'client-value' } })
    await response.body.dump()
  }
  assert.deepEqual(ory.requests[0]!.headers['ory-ratelimit-action'], ['ci-bypass'])
  assert.equal(app.requests[0]!.headers['ory-ratelimit-action'], undefined)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})
