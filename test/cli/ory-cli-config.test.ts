import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { readOryCliConfig } from '../../src/cli/ory-cli-config.js'
import { ProxyError } from '../../src/errors.js'
import { connectThrough, startFakeConsole, type FakeConsole } from '../helpers/console.js'
import { tempDir } from '../helpers/temp-dir.js'

const NIL = '00000000-0000-0000-0000-000000000000'

/** Writes an Ory CLI v1 config file (the shape `ory auth login` writes) and returns its path. */
function writeConfig(dir: string, fields: Record<string, unknown>, name = 'ory.json'): string {
  const path = join(dir, name)
  writeFileSync(
    path,
    JSON.stringify({
      version: 'v1',
      access_token: null,
      selected_project: NIL,
      selected_workspace: NIL,
      session_identity_traits: { ID: NIL, email: '', name: '' },
      ...fields,
    }),
  )
  return path
}

const login = (token: string, expiresInMs = 3_600_000) => ({
  access_token: token,
  token_type: 'bearer',
  refresh_token: 'refresh',
  expiry: new Date(Date.now() + expiresInMs).toISOString(),
})

async function setup(t: TestContext): Promise<{ console: FakeConsole; ids: Record<string, string>; workspace: string }> {
  const console = await startFakeConsole(t)
  const workspace = console.addWorkspace('Team')
  const ids = {
    fromFile: console.addProject(workspace, 'file-project-a1b2c3d4e5').id,
    fromEnv: console.addProject(workspace, 'env-project-f6g7h8i9j0').id,
    fromFlag: console.addProject(workspace, 'flag-project-k1l2m3n4o5').id,
  }
  console.grant('login-token', { workspaces: [workspace] })
  return { console, ids, workspace }
}

/** Connects with no temporary key expiry, so keys made here are obviously test keys. */
const connect = (t: TestContext, console: FakeConsole, inputs: Parameters<typeof connectThrough>[2]) =>
  connectThrough(t, console, { apiKeyExpiryMs: 0, ...inputs })

test('precedence for the project: --project > $ORY_PROJECT > the config file', async (t) => {
  const { console, ids } = await setup(t)
  const path = writeConfig(tempDir(t), { selected_project: ids.fromFile, access_token: login('login-token') })

  const fromFile = await connect(t, console, { configPath: path })
  assert.equal(fromFile.endpoint?.url, 'https://file-project-a1b2c3d4e5.projects.oryapis.com')
  assert.equal(fromFile.endpoint?.label, `selected_project in ${path}`)
  assert.ok(console.calls.every((c) => c.authorization === 'Bearer login-token'), "the file's login is the console credential")

  const fromEnv = await connect(t, console, { configPath: path, env: { ORY_PROJECT: ids.fromEnv } })
  assert.equal(fromEnv.endpoint?.url, 'https://env-project-f6g7h8i9j0.projects.oryapis.com')

  const fromFlag = await connect(t, console, { configPath: path, projectFlag: 'flag-pro', env: { ORY_PROJECT: ids.fromEnv } })
  assert.equal(fromFlag.endpoint?.url, 'https://flag-project-k1l2m3n4o5.projects.oryapis.com')
})

test('precedence for the credential: $ORY_WORKSPACE_API_KEY beats the config file login', async (t) => {
  const { console, ids, workspace } = await setup(t)
  console.grant('ws-key', { workspaces: [workspace] })
  const path = writeConfig(tempDir(t), { selected_project: ids.fromFile, access_token: login('login-token') })
  await connect(t, console, { configPath: path, env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.ok(console.calls.length > 0 && console.calls.every((c) => c.authorization === 'Bearer ws-key'))
})

test("the default config file is the home directory's .ory-cloud.json; $ORY_CONFIG_PATH (via -c) replaces it", async (t) => {
  const { console, ids } = await setup(t)
  const home = tempDir(t)
  writeConfig(home, { selected_project: ids.fromFile, access_token: login('login-token') }, '.ory-cloud.json')
  const found = await connect(t, console, { home })
  assert.equal(found.endpoint?.url, 'https://file-project-a1b2c3d4e5.projects.oryapis.com')

  const elsewhere = writeConfig(tempDir(t), { selected_project: ids.fromEnv, access_token: login('login-token') })
  const replaced = await connect(t, console, { home, configPath: elsewhere })
  assert.equal(replaced.endpoint?.url, 'https://env-project-f6g7h8i9j0.projects.oryapis.com')

  // No file at the default place: no endpoint, and no error.
  const none = await connect(t, console, {})
  assert.equal(none.endpoint, undefined)
})

test("the config file's selected workspace narrows the search when flags and env name none", async (t) => {
  const { console, workspace } = await setup(t)
  const otherWorkspace = console.addWorkspace('Other')
  console.addProject(otherWorkspace, 'file-project-zzzzzzzzzz')
  console.grant('login-token', { workspaces: [workspace, otherWorkspace] })
  const path = writeConfig(tempDir(t), { selected_workspace: otherWorkspace, access_token: login('login-token') })
  const narrowed = await connect(t, console, { configPath: path, projectFlag: 'file-project' })
  assert.equal(narrowed.endpoint?.url, 'https://file-project-zzzzzzzzzz.projects.oryapis.com')
  // --workspace beats the file.
  const flag = await connect(t, console, { configPath: path, projectFlag: 'file-project', workspaceFlag: 'Team' })
  assert.equal(flag.endpoint?.url, 'https://file-project-a1b2c3d4e5.projects.oryapis.com')
})

test('a selected project without a usable login is not used (a note says why); an expired login is named in errors', async (t) => {
  const { console, ids } = await setup(t)
  const noLogin = writeConfig(tempDir(t), { selected_project: ids.fromFile })
  const skipped = await connect(t, console, { configPath: noLogin })
  assert.equal(skipped.endpoint, undefined)
  assert.match(skipped.lines.join(''), new RegExp(`note: not using selected_project of ${noLogin}: it has no valid login; set ORY_WORKSPACE_API_KEY or pass --project`))

  const expired = writeConfig(tempDir(t), { access_token: login('login-token', -60_000) })
  await assert.rejects(
    connect(t, console, { configPath: expired, projectFlag: ids.fromFlag }),
    new RegExp(`needs an API key: set ORY_WORKSPACE_API_KEY .*\\(the Ory CLI login in ${expired} expired at \\d{4}-`),
  )
  assert.equal(console.calls.length, 0)
})

test('a missing or malformed config file is an error naming its path', async (t) => {
  const dir = tempDir(t)
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing', undefined, /cannot be read: ENOENT/],
    ['not JSON', '{"version":', /is not JSON/],
    ['an array', '[]', /must hold a JSON object/],
    ['an old version', '{"version":"v0alpha0"}', /has version "v0alpha0"; ory-proxy reads version "v1" files/],
    ['no version', '{}', /has version null/],
    ['a bad project ID', '{"version":"v1","selected_project":"abc"}', /selected_project must be a UUID, got "abc"/],
    ['a bad token', '{"version":"v1","access_token":"abc"}', /access_token must be an object/],
    ['a bad expiry', '{"version":"v1","access_token":{"access_token":"x","expiry":"soon"}}', /access_token.expiry is not a time/],
  ]
  for (const [name, content, pattern] of cases) {
    const path = join(dir, `${name.replaceAll(' ', '-')}.json`)
    if (content !== undefined) writeFileSync(path, content)
    assert.throws(
      () => readOryCliConfig(path, true),
      (error: unknown) => {
        assert.ok(error instanceof ProxyError && error.code === 'ERR_CONFIG', name)
        assert.ok(error.message.startsWith(`--config ${path} `) || error.message.startsWith(`--config ${path}:`), `${name} names the path: ${error.message}`)
        assert.match(error.message, pattern, name)
        return true
      },
    )
  }
  // Only an optional (default) file may be missing or of another version (the Ory CLI ignores those too).
  assert.equal(readOryCliConfig(join(dir, 'missing.json'), false), undefined)
  assert.equal(readOryCliConfig(join(dir, 'an-old-version.json'), false), undefined)
  assert.throws(() => readOryCliConfig(join(dir, 'not-JSON.json'), false), /is not JSON/)
})

test('the config file is read first even with --sdk-url: a bad -c is always an error', async (t) => {
  const { console } = await setup(t)
  const path = join(tempDir(t), 'absent.json')
  await assert.rejects(connect(t, console, { configPath: path, sdkUrlFlag: 'http://127.0.0.1:4433' }), new RegExp(`--config ${path} cannot be read`))
})
