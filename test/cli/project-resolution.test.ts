import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { consoleApiUrl } from '../../src/cli/ory-connection.js'
import { ProxyError } from '../../src/errors.js'
import { connectThrough, startFakeConsole, type FakeConsole } from '../helpers/console.js'

interface Setup {
  readonly console: FakeConsole
  readonly workspace: string
  readonly other: string
  readonly ids: Record<string, string>
}

/**
 * Two workspaces: "Acme Production" (acme-prod-…, acme-preview-…) and "Acme Staging" (acme-prod-…
 * again, by slug prefix), one workspace key for both.
 */
async function setup(t: TestContext): Promise<Setup> {
  const console = await startFakeConsole(t)
  const workspace = console.addWorkspace('Acme Production')
  const other = console.addWorkspace('Acme Staging')
  const ids = {
    prod: console.addProject(workspace, 'acme-prod-s9mkjq3ci1').id,
    preview: console.addProject(workspace, 'acme-preview-k2j3h4g5f6').id,
    staging: console.addProject(other, 'acme-prod-staging-x1y2z3w4v5').id,
  }
  console.grant('ws-key', { workspaces: [workspace, other] })
  console.grant('project-key', { project: ids.prod! })
  return { console, workspace, other, ids }
}

const connect = connectThrough

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProxyError, String(error))
    assert.equal(error.code, code)
    assert.match(error.message, pattern)
    assert.doesNotMatch(error.message, /\n/, 'one line')
    return true
  })
}

test('a project ID is looked up with GET /projects/{id} and becomes https://<slug>.projects.oryapis.com', async (t) => {
  const { console, ids } = await setup(t)
  const { endpoint } = await connect(t, console, { projectFlag: ids.preview, env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.deepEqual(endpoint, { url: 'https://acme-preview-k2j3h4g5f6.projects.oryapis.com', source: 'project', label: '--project' })
  assert.ok(console.calls.some((c) => c.method === 'GET' && c.path === `/projects/${ids.preview}` && c.authorization === 'Bearer ws-key'))
})

test('a partial slug or ID prefix matches one project; ORY_ORYAPIS_URL sets the domain and :443 is trimmed', async (t) => {
  const { console, ids } = await setup(t)
  const bySlug = await connect(t, console, {
    projectFlag: 'acme-prev',
    env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_ORYAPIS_URL: 'https://staging.oryapis.dev:443' },
  })
  assert.equal(bySlug.endpoint?.url, 'https://acme-preview-k2j3h4g5f6.projects.staging.oryapis.dev')
  const byId = await connect(t, console, { env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_PROJECT: ids.staging!.slice(0, 13) } })
  assert.equal(byId.endpoint?.url, 'https://acme-prod-staging-x1y2z3w4v5.projects.oryapis.com')
  assert.equal(byId.endpoint?.label, '$ORY_PROJECT')
})

test('an exact slug wins over projects it is a prefix of', async (t) => {
  const { console } = await setup(t)
  const { endpoint } = await connect(t, console, { projectFlag: 'acme-prod-s9mkjq3ci1', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.equal(endpoint?.url, 'https://acme-prod-s9mkjq3ci1.projects.oryapis.com')
})

test('an ambiguous prefix is an error listing every candidate', async (t) => {
  const { console, ids } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: 'acme-prod', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    new RegExp(
      `"acme-prod" matches 2 projects among the 3 projects \\$ORY_WORKSPACE_API_KEY can see at ${console.url}; use more characters: acme-prod-s9mkjq3ci1 \\(${ids.prod}\\), acme-prod-staging-x1y2z3w4v5 \\(${ids.staging}\\)`,
    ),
  )
})

test('an unknown project is an error saying where it looked and what is there', async (t) => {
  const { console, ids } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: 'nope', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    new RegExp(`no project matches "nope" among the 3 projects \\$ORY_WORKSPACE_API_KEY can see at ${console.url}; known: acme-prod-s9mkjq3ci1 \\(${ids.prod}\\)`),
  )
  const unknownId = '3f1c1a9e-0b7d-4c41-9a0e-7a1f3c2b9d10'
  await rejects(
    connect(t, console, { projectFlag: unknownId, env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    new RegExp(`no project with ID ${unknownId}: the Ory console API at ${console.url} answered 404 to GET /projects/${unknownId}`),
  )
})

test('--workspace (name prefix or ID) narrows the search to that workspace', async (t) => {
  const { console, workspace, other } = await setup(t)
  const narrowed = await connect(t, console, { projectFlag: 'acme-prod', workspaceFlag: 'acme st', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.equal(narrowed.endpoint?.url, 'https://acme-prod-staging-x1y2z3w4v5.projects.oryapis.com')
  assert.ok(console.calls.some((c) => c.path === `/workspaces/${other}/projects`))
  const byId = await connect(t, console, { projectFlag: 'acme-prod', env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_WORKSPACE: workspace } })
  assert.equal(byId.endpoint?.url, 'https://acme-prod-s9mkjq3ci1.projects.oryapis.com')
  await rejects(
    connect(t, console, { projectFlag: 'acme-prod', workspaceFlag: 'Acme', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    /"Acme" matches 2 workspaces among the 2 workspaces \$ORY_WORKSPACE_API_KEY can see at .*: Acme Production \(.*\), Acme Staging/,
  )
  await rejects(
    connect(t, console, { projectFlag: 'acme-preview', workspaceFlag: 'Acme Staging', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    /no project matches "acme-preview" among the 1 projects of workspace Acme Staging at /,
  )
})

test('a project ID outside the selected workspace is an error', async (t) => {
  const { console, ids, other } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: ids.prod, workspaceFlag: other, env: { ORY_WORKSPACE_API_KEY: 'ws-key' } }),
    'ERR_CONFIG',
    new RegExp(`project ${ids.prod} \\(acme-prod-s9mkjq3ci1\\) is not in workspace ${other} \\(--workspace\\)`),
  )
})

test('an ID, a workspace or a key-less lookup without any key is an error naming the variables to set', async (t) => {
  const { console, ids } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: ids.prod }),
    'ERR_CONFIG',
    /--project \(.*\) is a project ID, looked up in the Ory console, which needs an API key: set ORY_WORKSPACE_API_KEY \(a workspace API key\) or ORY_PROJECT_API_KEY; ory-proxy never opens a browser/,
  )
  await rejects(
    connect(t, console, { projectFlag: 'acme-prod-s9mkjq3ci1', workspaceFlag: 'Acme' }),
    'ERR_CONFIG',
    /--workspace \(Acme\) is looked up in the Ory console, which needs an API key: set ORY_WORKSPACE_API_KEY/,
  )
  assert.equal(console.calls.length, 0, 'nothing was asked without a key')
})

test('a slug without any key is used as it is, with a note that Ory gets no API key', async (t) => {
  const { console } = await setup(t)
  const { endpoint, token, lines } = await connect(t, console, { projectFlag: 'acme-prod-s9mkjq3ci1' })
  assert.equal(endpoint?.url, 'https://acme-prod-s9mkjq3ci1.projects.oryapis.com')
  assert.equal(token, undefined)
  assert.match(lines.join(''), /no Ory API key, so none is sent to Ory as Ory-Base-URL-Rewrite-Token.*Set ORY_PROJECT_API_KEY or ORY_WORKSPACE_API_KEY/)
  assert.equal(console.calls.length, 0)
})

test('with a workspace key a temporary project API key is created (name, expiry) and deleted on release', async (t) => {
  const { console, ids } = await setup(t)
  const before = Date.now()
  const { token, release } = await connect(t, console, {
    projectFlag: 'acme-prev',
    apiKeyExpiryMs: 3_600_000,
    env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_RATE_LIMIT_HEADER: 'ci-run' },
  })
  assert.equal(console.keys.length, 1)
  const key = console.keys[0]!
  assert.equal(token, key.value)
  assert.equal(key.projectId, ids.preview)
  assert.match(key.name, /^Ory proxy temporary API key - .+/)
  const expires = Date.parse(key.expiresAt!)
  assert.ok(expires >= before + 3_600_000 && expires <= Date.now() + 3_600_000, `expires_at ${key.expiresAt} is an hour from now`)
  assert.ok(console.calls.every((c) => c.rateLimitAction === 'ci-run'), 'console calls carry Ory-RateLimit-Action')
  await release()
  assert.equal(key.deleted, true)
  await release()
  assert.equal(console.calls.filter((c) => c.method === 'DELETE').length, 1, 'release deletes once')
})

test('--api-key-expiry 0 creates a key without expires_at', async (t) => {
  const { console } = await setup(t)
  await connect(t, console, { projectFlag: 'acme-prev', apiKeyExpiryMs: 0, env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.equal(console.keys[0]!.expiresAt, undefined)
  assert.doesNotMatch(console.calls.find((c) => c.method === 'POST')!.body, /expires_at/)
})

test('a key the console refuses to create is a warning; a failed deletion is a warning naming the key', async (t) => {
  const { console } = await setup(t)
  console.fail('create')
  const refused = await connect(t, console, { projectFlag: 'acme-prev', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  assert.equal(refused.token, undefined)
  assert.match(refused.lines.join(''), /warning: could not create a temporary API key for project acme-preview-k2j3h4g5f6 \(.*answered POST \/projects\/.*\/tokens with 500 \(cannot create keys right now\)\); continuing without one/)

  const { console: other } = await setup(t)
  const kept = await connect(t, other, { projectFlag: 'acme-prev', env: { ORY_WORKSPACE_API_KEY: 'ws-key' } })
  other.fail('delete')
  await kept.release()
  const key = other.keys[0]!
  assert.equal(key.deleted, false)
  assert.match(
    kept.lines.join(''),
    new RegExp(`warning: could not delete the temporary API key "${key.name}" \\(id ${key.id}\\) of project acme-preview-k2j3h4g5f6: .*500.*; it expires at ${key.expiresAt}, or delete it in the Ory Console`),
  )
})

test('ORY_PROJECT_API_KEY selects its own project, is the token, and creates nothing', async (t) => {
  const { console } = await setup(t)
  const { endpoint, token } = await connect(t, console, { env: { ORY_PROJECT_API_KEY: 'project-key' } })
  assert.deepEqual(endpoint, { url: 'https://acme-prod-s9mkjq3ci1.projects.oryapis.com', source: 'project', label: '$ORY_PROJECT_API_KEY' })
  assert.equal(token, 'project-key')
  assert.equal(console.keys.length, 0)
  assert.deepEqual(console.calls.map((c) => `${c.method} ${c.path}`), ['GET /projects'])
  // $ORY_PROJECT naming the same project is fine; another one is an error, as are --project and a workspace.
  await connect(t, console, { env: { ORY_PROJECT_API_KEY: 'project-key', ORY_PROJECT: 'acme-prod-s9' } })
  await rejects(
    connect(t, console, { env: { ORY_PROJECT_API_KEY: 'project-key', ORY_PROJECT: 'acme-preview' } }),
    'ERR_CONFIG',
    /\$ORY_PROJECT \(acme-preview\) is not the project of ORY_PROJECT_API_KEY \(acme-prod-s9mkjq3ci1\); unset one/,
  )
  await rejects(
    connect(t, console, { projectFlag: 'acme-prod', env: { ORY_PROJECT_API_KEY: 'project-key' } }),
    'ERR_CONFIG',
    /ORY_PROJECT_API_KEY selects its own project; remove --project or unset ORY_PROJECT_API_KEY/,
  )
  await rejects(
    connect(t, console, { workspaceFlag: 'Acme', env: { ORY_PROJECT_API_KEY: 'project-key' } }),
    'ERR_CONFIG',
    /remove --workspace or unset ORY_PROJECT_API_KEY/,
  )
})

test('a key the console refuses, or a console that does not answer, is ERR_CONSOLE_API naming the call', async (t) => {
  const { console } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: 'acme', env: { ORY_WORKSPACE_API_KEY: 'wrong' } }),
    'ERR_CONSOLE_API',
    new RegExp(`the Ory console API at ${console.url} answered GET /projects with 401 \\(The API key is invalid or expired\\); check \\$ORY_WORKSPACE_API_KEY`),
  )
  await rejects(
    connect(t, console, { env: { ORY_PROJECT_API_KEY: 'wrong' } }),
    'ERR_CONSOLE_API',
    /answered GET \/projects with 401 .*; check \$ORY_PROJECT_API_KEY/,
  )
  await rejects(
    connect(t, console, { projectFlag: 'acme', env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_CONSOLE_API_URL: 'http://127.0.0.1:1' } }),
    'ERR_CONSOLE_API',
    /the Ory console API at http:\/\/127\.0\.0\.1:1 did not answer GET \/projects: ECONNREFUSED/,
  )
})

test('bad console and oryapis URLs are config errors', async (t) => {
  const { console } = await setup(t)
  await rejects(
    connect(t, console, { projectFlag: 'acme', env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_CONSOLE_API_URL: 'not a url' } }),
    'ERR_CONFIG',
    /\$ORY_CONSOLE_API_URL must be an absolute http\(s\) URL, got "not a url"/,
  )
  await rejects(
    connect(t, console, { projectFlag: 'acme-prod-s9mkjq3ci1', env: { ORY_ORYAPIS_URL: '::' } }),
    'ERR_CONFIG',
    /\$ORY_ORYAPIS_URL must be a URL such as https:\/\/oryapis.com, got "::"/,
  )
})

test('--sdk-url never asks the console, even with keys set', async (t) => {
  const { console } = await setup(t)
  const { endpoint, token } = await connect(t, console, {
    sdkUrlFlag: 'http://127.0.0.1:4433',
    env: { ORY_WORKSPACE_API_KEY: 'ws-key', ORY_PROJECT_API_KEY: 'project-key' },
  })
  assert.deepEqual(endpoint, { source: 'sdk-url', url: 'http://127.0.0.1:4433', label: '--sdk-url' })
  assert.equal(token, undefined)
  assert.equal(console.calls.length, 0)
})

test("the console API is at api.<host of $ORY_CONSOLE_URL> as in the Ory CLI; $ORY_CONSOLE_API_URL replaces it", () => {
  assert.equal(consoleApiUrl({}), 'https://api.console.ory.com')
  assert.equal(consoleApiUrl({ ORY_CONSOLE_URL: 'https://console.staging.ory.dev' }), 'https://api.console.staging.ory.dev')
  assert.equal(consoleApiUrl({ ORY_CONSOLE_URL: 'https://console.ory.com', ORY_CONSOLE_API_URL: 'http://127.0.0.1:9000/base/' }), 'http://127.0.0.1:9000/base')
  assert.throws(() => consoleApiUrl({ ORY_CONSOLE_URL: 'ftp://console' }), /\$ORY_CONSOLE_URL must use http or https/)
})
