import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { debugEvents, spawnCli } from '../helpers/cli.js'
import { freePort, startUpstream, type Upstream } from '../helpers/upstream.js'

const REQUEST_FIELDS = ['error', 'event', 'jwt', 'level', 'method', 'ms', 'path', 'request', 'route', 'session', 'status', 'time', 'upstream_ms']

/**
 * An Ory-like upstream: whoami knows cookie `ory_session_x=A`; every other path answers HTML that
 * links to Ory's own URL (so the proxy rewrites it).
 */
async function startOry(t: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const ory: Upstream = await startUpstream(t, (req, res) => {
    if (req.url === '/sessions/whoami') {
      if (!(req.headers.cookie ?? '').includes('ory_session_x=A')) {
        res.writeHead(401, { 'content-type': 'application/json' })
        return res.end('{"error":{"code":401}}')
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ id: 's1', active: true, expires_at: new Date(Date.now() + 3_600_000).toISOString(), identity: { id: 'identity-a' } }))
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<a href="${ory.url}/ui/login">sign in</a>`)
  })
  return ory
}

async function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<number> {
  const response = await request(`http://127.0.0.1:${port}${path}`, { method: method as 'GET', headers })
  await response.body.dump()
  return response.statusCode
}

test('--debug: one JSON line per request (id, route, status, upstream and total time, session, JWT), CORS and rewrite decisions', async (t) => {
  const app = await startUpstream(t)
  const ory = await startOry(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', ory.url, '--port', String(port), '--debug'], 'listening on port')
  const cookie = { cookie: 'ory_session_x=A' }
  assert.equal(await get(port, '/anonymous'), 200)
  assert.equal(await get(port, '/first', cookie), 200)
  assert.equal(await get(port, '/second', { ...cookie, 'x-request-id': 'trace-me' }), 200)
  assert.equal(await get(port, '/.ory/ui/login'), 200)
  assert.equal(await get(port, '/cors', { origin: 'http://localhost:3000' }), 200)
  assert.equal(await get(port, '/cors', { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' }, 'OPTIONS'), 204)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)

  const events = debugEvents(cli.stderr)
  const requests = events.filter((e) => e.event === 'request')
  assert.equal(requests.length, 6, 'one line per request')
  for (const line of requests) {
    assert.deepEqual(Object.keys(line).sort(), REQUEST_FIELDS)
    assert.equal(typeof line.ms, 'number')
    assert.match(String(line.request), /\S/)
    assert.ok(!Number.isNaN(Date.parse(String(line.time))))
  }
  const byPath = (path: string, method = 'GET') => requests.find((r) => r.path === path && r.method === method)!
  assert.deepEqual(pick(byPath('/anonymous')), { route: 'app', status: 200, session: 'bypass', jwt: false })
  assert.deepEqual(pick(byPath('/first')), { route: 'app', status: 200, session: 'miss', jwt: true })
  assert.deepEqual(pick(byPath('/second')), { route: 'app', status: 200, session: 'hit', jwt: true })
  assert.equal(byPath('/second').request, 'trace-me')
  assert.deepEqual(pick(byPath('/.ory/ui/login')), { route: 'ory', status: 200, session: 'bypass', jwt: false })
  assert.deepEqual(pick(byPath('/cors', 'OPTIONS')), { route: 'app', status: 204, session: 'bypass', jwt: false })
  for (const path of ['/anonymous', '/first', '/.ory/ui/login']) {
    const upstream = byPath(path).upstream_ms as number
    assert.ok(typeof upstream === 'number' && upstream >= 0 && upstream <= (byPath(path).ms as number), `${path}: upstream_ms ≤ ms`)
  }
  assert.equal(byPath('/cors', 'OPTIONS').upstream_ms, null, 'a preflight never reaches an upstream')

  for (const line of requests) assert.equal(line.level, 'info')
  const rewrite = events.find((e) => e.event === 'rewrite')
  assert.deepEqual(rewrite && { ...rewrite, time: undefined, request: undefined }, {
    level: 'debug',
    time: undefined,
    request: undefined,
    event: 'rewrite',
    part: 'body',
    encoding: 'identity',
    bytes: `<a href="${ory.url}/ui/login">sign in</a>`.length,
    rewritten_bytes: `<a href="http://localhost:${port}/.ory/ui/login">sign in</a>`.length,
  })
  assert.equal(rewrite!.request, byPath('/.ory/ui/login').request)
  assert.ok(events.some((e) => e.event === 'cors' && e.origin === 'http://localhost:3000' && e.allowed === true))
  assert.ok(events.some((e) => e.event === 'cors-preflight' && e.allowed === true))
})

test('--debug: an upstream failure the proxy answers itself (502) is one line too', async (t) => {
  const down = `http://127.0.0.1:${await freePort()}`
  const port = await freePort()
  const cli = await spawnCli(t, ['start', down, '--sdk-url', down, '--port', String(port), '--no-jwt', '--debug', '-y'], 'listening on port')
  assert.equal(await get(port, '/down'), 502)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  const lines = debugEvents(cli.stderr).filter((e) => e.event === 'request')
  assert.deepEqual(
    lines.map((line) => [line.path, line.status, line.error]),
    [['/down', 502, 'ERR_UPSTREAM_UNREACHABLE']],
  )
})

test('without --debug no JSON is written: the default request log is text, and no decision events', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--port', String(port)], 'listening on port')
  const banner = cli.stderr
  assert.equal(await get(port, '/', { origin: 'http://localhost:3000' }), 200)
  assert.equal(await get(port, '/x', { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' }, 'OPTIONS'), 204)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  const after = cli.stderr.slice(banner.length).trim().split('\n').filter((l) => l !== '' && !l.startsWith('SIGTERM') && !l.startsWith('http server'))
  assert.deepEqual(
    after.map((line) => line.replace(/took [\d.]+ms/, 'took Nms')),
    ['=> 200 GET [/] took Nms anon', '=> 204 OPTIONS [/x] took Nms anon'],
  )
  assert.doesNotMatch(cli.stderr, /"event"/)
})

function pick(line: Record<string, unknown>): Record<string, unknown> {
  return { route: line.route, status: line.status, session: line.session, jwt: line.jwt }
}
