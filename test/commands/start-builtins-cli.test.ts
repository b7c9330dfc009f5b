import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { spawnCli } from '../helpers/cli.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startFakeOry } from '../helpers/ory.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const PRELOAD = new URL('../helpers/builtin-modules.mjs', import.meta.url).href
/** Node's copy of undici, behind node:http's WebSocket, CloseEvent and MessageEvent getters (Node 22+). */
const BUNDLED_UNDICI = 'NativeModule internal/deps/undici/undici'

/** Starts the CLI with `args`, sends it `traffic`, stops it and returns the built-in modules it loaded. */
async function builtinsLoaded(
  t: TestContext,
  args: (port: number) => string[],
  ready: string,
  traffic: (port: number) => Promise<void>,
): Promise<string[]> {
  const file = join(tempDir(t), 'builtins.txt')
  const port = await freePort()
  const cli = await spawnCli(t, ['start', ...args(port), '--port', String(port)], ready, {
    NODE_OPTIONS: `--import=${PRELOAD}`,
    ORY_PROXY_BUILTINS_FILE: file,
  })
  await traffic(port)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, cli.stderr)
  return readFileSync(file, 'utf8').split('\n')
}

// An ESM import of node:http reads every export, and so those getters: 17-22 ms of each start on
// Node 22, 24 and 26 (src/node-builtins.ts). Node 20 has no such getters; there the test holds by itself.
test("a proxy signing JWTs, and one with the built-in identity server, never load Node's bundled undici", async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const withJwt = await builtinsLoaded(t, () => [app.url, '--sdk-url', ory.url], 'listening on port', async (port) => {
    const response = await request(`http://127.0.0.1:${port}/`, { headers: { cookie: 'ory_session_x=A' } })
    const { rawHeaders } = (await response.body.json()) as { rawHeaders: string[] }
    const authorization = rawHeaders[rawHeaders.findIndex((name) => name.toLowerCase() === 'authorization') + 1]
    assert.match(authorization ?? '', /^Bearer ey/, 'the request took the JWT path')
  })
  assert.ok(withJwt.includes('NativeModule http'), 'the list is the proxy’s own')
  assert.ok(!withJwt.includes(BUNDLED_UNDICI), BUNDLED_UNDICI)

  const builtIn = await builtinsLoaded(t, (port) => [app.url, `http://127.0.0.1:${port}`, '--no-jwt', '-y'], 'To access your application', async (port) => {
    const flow = await request(`http://127.0.0.1:${port}/.ory/self-service/login/api`)
    assert.equal(flow.statusCode, 200, 'the built-in identity server answered')
    await flow.body.dump()
  })
  assert.ok(!builtIn.includes(BUNDLED_UNDICI), BUNDLED_UNDICI)
})

// node:http2 (bringing node:tls), node:crypto and node:zlib cost a start on Node 24 about 5-10, 5 and
// 2-5 ms (src/node-builtins.ts, src/undici-parts.ts): a plain start does without them, and the
// first request that needs HTTP/2 still gets it.
test('a plain --no-jwt start serving HTTP/1.1 loads none of node:http2, node:tls, node:crypto, node:zlib; h2c loads node:http2 at its first connection', async (t) => {
  const app = await startUpstream(t)
  const args = () => [app.url, '--sdk-url', app.url, '--no-jwt']
  const http1 = await builtinsLoaded(t, args, 'listening on port', async (port) => {
    const response = await request(`http://127.0.0.1:${port}/over-h1`)
    assert.equal(response.statusCode, 200)
    assert.equal(((await response.body.json()) as { url: string }).url, '/over-h1')
  })
  assert.ok(http1.includes('NativeModule http'), 'the list is the proxy’s own')
  for (const name of ['http2', 'tls', 'crypto', 'zlib']) assert.ok(!http1.includes(`NativeModule ${name}`), `node:${name} loaded`)

  const h2c = await builtinsLoaded(t, args, 'listening on port', async (port) => {
    const session = await h2Connect(t, `http://127.0.0.1:${port}`)
    const response = await h2Request(session, { ':path': '/over-h2', ':authority': `127.0.0.1:${port}` })
    assert.equal(response.status, 200)
    assert.equal(JSON.parse(response.body.toString()).url, '/over-h2')
    session.close()
  })
  assert.ok(h2c.includes('NativeModule http2'))
})
