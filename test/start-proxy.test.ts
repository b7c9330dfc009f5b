import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { Configuration, FrontendApi, IdentityApi } from '@ory/client-fetch'
import { isProxyError, startProxy, type StartOptions } from 'ory-proxy'
import { ROOT } from './helpers/cli.js'
import { tempDir } from './helpers/temp-dir.js'
import { startUpstream } from './helpers/upstream.js'

const FIXTURE = join(ROOT, 'test/fixtures/start-then-close.mjs')
const PASSWORD = 'correct horse battery'

interface Step {
  readonly step: 'started' | 'rejected' | 'closed' | 'exited'
  readonly [field: string]: unknown
}

/** Runs the fixture with `options`; its steps, and how long the process took to exit after closing. */
function runChild(options: StartOptions, timeoutMs = 30_000): Promise<{ steps: Step[]; code: number | null; exitAfterCloseMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(options)], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    // A process that does not exit by itself has leaked a socket, a worker or a timer.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the process did not exit within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const exitedAt = Date.now()
      const steps = stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Step)
      const closed = steps.find((step) => step.step === 'closed')
      resolve({ steps, code, exitAfterCloseMs: exitedAt - Number(closed?.at ?? exitedAt) })
    })
  })
}

test('startProxy from the package: the built-in server, a user made through the admin API, a sign-in through the proxy, a JWT for the app; close() ends it all', async (t) => {
  const app = await startUpstream(t)
  const proxy = await startProxy({ applicationUrl: app.url, port: 0, quiet: true, identityAdminToken: 'programmatic-token-1' })
  t.after(() => proxy.close())
  assert.match(proxy.url, /^http:\/\/localhost:\d+$/)
  assert.equal(proxy.oryUrl, `${proxy.url}/.ory`)
  assert.match(proxy.adminUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(proxy.adminToken, 'programmatic-token-1')
  assert.equal(proxy.adminTokenFile, undefined, 'a given token is not written anywhere')

  const admin = new IdentityApi(new Configuration({ basePath: proxy.adminUrl, headers: { authorization: `Bearer ${proxy.adminToken}`, accept: 'application/json' } }))
  await admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: 'lib@example.org' }, credentials: { password: { config: { password: PASSWORD } } } } })
  const frontend = new FrontendApi(new Configuration({ basePath: proxy.oryUrl, headers: { accept: 'application/json' } }))
  const flow = await frontend.createNativeLoginFlow()
  const { session_token: token } = await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: 'lib@example.org', password: PASSWORD } })
  const page = await fetch(`${proxy.url}/account`, { headers: { 'x-session-token': token! } })
  assert.equal(page.status, 200)
  assert.match(app.requests.at(-1)?.headers.authorization?.[0] ?? '', /^Bearer ey/, 'the app got a JWT')
  // The built-in server's session cookie holds the session token: a test can hand it to a browser.
  const asCookie = await fetch(`${proxy.url}/account`, { headers: { cookie: `ory_kratos_session=${token}` } })
  assert.equal(asCookie.status, 200)
  const claims = JSON.parse(Buffer.from(app.requests.at(-1)!.headers.authorization![0]!.split('.')[1]!, 'base64url').toString()) as { session: { identity: { traits: { email: string } } } }
  assert.equal(claims.session.identity.traits.email, 'lib@example.org')
  await proxy.close()
  await assert.rejects(fetch(proxy.url), 'nothing listens after close()')
})

test('a process that starts the proxy (one process or two workers) and closes it exits by itself, at once', async (t) => {
  const app = await startUpstream(t)
  for (const workers of ['1', '2']) {
    const { steps, code, exitAfterCloseMs } = await runChild({ applicationUrl: app.url, port: 0, quiet: true, workers })
    const started = steps.find((step) => step.step === 'started')
    assert.ok(started, JSON.stringify(steps))
    assert.equal(started.health, 200)
    assert.equal(started.identities, 200, 'the admin API answers with the returned token')
    assert.equal(started.hasToken, true)
    assert.equal(existsSync(String(started.adminTokenFile)), false, 'the generated token file is gone after close()')
    assert.equal(code, 0)
    assert.ok(exitAfterCloseMs < 2_000, `exited ${exitAfterCloseMs} ms after close() with ${workers} worker(s)`)
  }
})

test('errors reject with the typed codes the command line prints, and leave nothing running', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, resolve))
  t.after(() => blocker.close())
  const taken = (blocker.address() as { port: number }).port
  const bad = join(tempDir(t), 'users.json')
  writeFileSync(bad, '[{"traits":{"email":"nope"}}]')
  const cases: Array<[StartOptions, string, RegExp]> = [
    [{ applicationUrl: 'not a url' }, 'ERR_CONFIG', /application-url must be an absolute http\(s\) URL/],
    [{ applicationUrl: 'http://localhost:3000', port: taken, noJwt: true }, 'ERR_LISTEN', /port \d+ is already in use/],
    // With JWTs the signing thread is already running when these fail: the proxy's port, then the metrics port (bound before the gate exists).
    [{ applicationUrl: 'http://localhost:3000', port: taken }, 'ERR_LISTEN', /port \d+ is already in use/],
    [{ applicationUrl: 'http://localhost:3000', port: 0, metrics: String(taken) }, 'ERR_LISTEN', /--metrics port \d+ is already in use/],
    [{ applicationUrl: 'http://localhost:3000', port: 0, identities: bad }, 'ERR_CONFIG', /--identities: .*identity #1/],
    [{ applicationUrl: 'http://localhost:3000', noJwt: true, jwkFile: 'key.json' }, 'ERR_CONFIG', /--jwk-file needs JWTs/],
  ]
  for (const [options, code, message] of cases) {
    await assert.rejects(startProxy(options), (error: unknown) => isProxyError(error) && error.code === code && message.test(error.message))
    const child = await runChild(options)
    const rejected = child.steps.find((step) => step.step === 'rejected')
    assert.equal(rejected?.code, code, JSON.stringify(child.steps))
    assert.equal(rejected?.threadsAfter, rejected?.threadsBefore, `threads left after the rejected start: ${JSON.stringify(rejected)}`)
    assert.equal(child.code, 0)
    assert.ok(child.exitAfterCloseMs < 2_000, `exited ${child.exitAfterCloseMs} ms after a rejected start`)
  }
})
