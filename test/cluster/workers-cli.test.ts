import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { Client, Pool, request } from 'undici'
import { expectUsageError, runCli, spawnCli, waitForStderr } from '../helpers/cli.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { openConnection, probePort } from '../helpers/raw.js'
import { startFakeOry } from '../helpers/ory.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, groupHeaders, heldResponder, startUpstream } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'
import { openWebSocket, startWebSocketApp } from '../helpers/websocket.js'
import {
  clientsOnDistinctWorkers,
  connectionsPerProcess,
  debugLines,
  h2SessionsOnDistinctWorkers,
  lineOf,
  onDistinctWorkers,
  startWorkers,
  workerOf,
  workerPids,
} from '../helpers/workers.js'

/** What the echo app saw of one request: its `Authorization` values. */
async function authorizationSeen(response: Awaited<ReturnType<typeof request>>): Promise<string[]> {
  const seen = (await response.body.json()) as { rawHeaders: string[] }
  return groupHeaders(seen.rawHeaders).authorization ?? []
}

/** One request on a connection of its own (so the cluster hands each to the next worker). */
async function onNewConnection(url: string, headers: Record<string, string> = {}) {
  // A connection lost with a dying worker fails in bounded time instead of waiting forever.
  const client = new Client(url, { headersTimeout: 5_000, bodyTimeout: 5_000 })
  try {
    const response = await client.request({ path: '/', method: 'GET', headers })
    return { status: response.statusCode, authorization: await authorizationSeen(response) }
  } finally {
    await client.close()
  }
}

test('requests spread over the workers, and every worker publishes and signs with one key', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url, '--session-cache-ttl', '1m'])
  assert.match(running.cli.stderr, /listening on port \d+ with 2 workers/)

  const [one, two] = await clientsOnDistinctWorkers(t, running, 2)
  const jwks = await Promise.all(
    [one!, two!].map(async ({ connection: client }) => (await client.request({ path: '/.ory/jwks.json', method: 'GET' })).body.text()),
  )
  assert.equal(jwks[0], jwks[1], 'the same JWKS from both workers')
  const keys = createLocalJWKSet(JSON.parse(jwks[0]!) as JSONWebKeySet)
  const kid = (JSON.parse(jwks[0]!) as JSONWebKeySet).keys[0]!.kid
  for (const { connection: client, worker } of [one!, two!]) {
    const requestId = `sign-${randomUUID()}`
    const response = await client.request({ path: '/', method: 'GET', headers: { cookie: 'ory_session_x=A', 'x-request-id': requestId } })
    const [authorization] = await authorizationSeen(response)
    assert.equal(await workerOf(running.cli, requestId), worker)
    const token = authorization!.slice('Bearer '.length)
    assert.equal(decodeProtectedHeader(token).kid, kid, `worker ${worker} signs with the published key`)
    const { payload } = await jwtVerify(token, keys, { algorithms: ['ES256'], issuer: ory.url })
    assert.equal(payload.sub, 'identity-a')
  }

})

test('concurrent first requests with one new cookie on different workers make one whoami call', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'B', 'identity-b')
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url, '--session-cache-ttl', '1m'])
  // One HTTP/2 connection on each worker, five requests at once on each.
  const sessions = await h2SessionsOnDistinctWorkers(t, running, 2)
  // Every whoami answer takes a while, so all requests arrive while the first is being asked.
  ory.setMode('delay', 400)
  const answers = await Promise.all(
    sessions.flatMap(({ connection }) =>
      Array.from({ length: 5 }, () => h2Request(connection, { ':path': '/', cookie: 'ory_session_x=B' })),
    ),
  )
  for (const answer of answers) {
    assert.equal(answer.status, 200)
    const seen = JSON.parse(answer.body.toString()) as { rawHeaders: string[] }
    assert.equal(groupHeaders(seen.rawHeaders).authorization?.length, 1)
  }
  // Lines are written in batches, a moment after the responses.
  await until(() => debugLines(running.cli).filter((line) => line.route === 'app').length === 10, 'the lines of the 10 requests')
  const credentialed = debugLines(running.cli).filter((line) => line.route === 'app')
  assert.deepEqual(new Set(credentialed.map((line) => line.worker)), new Set(sessions.map(({ worker }) => worker)))
  assert.equal(ory.whoamiCalls.length, 1, 'one whoami call for all of them')
  const outcomes = credentialed.map((line) => line.session)
  assert.ok(outcomes.includes('peer'), `a worker took another's answer: ${outcomes.join(', ')}`)
})

test('a worker killed while it asks Ory for a cookie costs only its own request: the others waiting for it ask Ory themselves', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'E', 'identity-e')
  // A long whoami timeout: waiters left waiting for a dead leader would wait all of it.
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url, '--session-cache-ttl', '1m', '--whoami-timeout', '20s'])
  const [leader, waiter] = await h2SessionsOnDistinctWorkers(t, running, 2)
  const leaderPid = debugLines(running.cli).find((line) => line.worker === leader!.worker)!.pid as number
  ory.setMode('delay', 1_500)
  // The leader's request reaches Ory first; the other worker's requests then wait for its answer.
  const lost = h2Request(leader!.connection, { ':path': '/', cookie: 'ory_session_x=E' }).then(
    // A stream that ends without a response head has no status.
    (response) => (Number.isNaN(response.status) ? 'failed' : response.status),
    () => 'failed',
  )
  await until(() => ory.whoamiCalls.length === 1, "the leader's whoami call")
  const waiting = Array.from({ length: 3 }, () => h2Request(waiter!.connection, { ':path': '/', cookie: 'ory_session_x=E' }))
  await new Promise((resolve) => setTimeout(resolve, 200))
  process.kill(leaderPid, 'SIGKILL')
  const killed = Date.now()
  assert.equal(await lost, 'failed', 'the request on the killed worker fails')
  const answers = await Promise.all(waiting)
  // The primary releases a dead worker's leases at once: one whoami delay (1.5 s), not the 20 s wait.
  assert.ok(Date.now() - killed < 10_000, `the waiters were answered ${Date.now() - killed} ms after the kill`)
  for (const response of answers) {
    assert.equal(response.status, 200)
    const seen = JSON.parse(response.body.toString()) as { rawHeaders: string[] }
    assert.equal(groupHeaders(seen.rawHeaders).authorization?.length, 1, 'the waiting requests got their JWT')
  }
  assert.equal(ory.whoamiCalls.length, 2, "one more whoami call, by the worker that waited for the dead one")
})

test('keep-alive connections all on one worker are shared out between the workers while they are used', async (t) => {
  const app = await startUpstream(t)
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', app.url, '--no-jwt'])
  await until(() => workerPids(running.cli).length === 2, 'two worker processes')
  const [asleep, awake] = workerPids(running.cli)
  const pool = new Pool(running.url, { connections: 40, headersTimeout: 5_000, bodyTimeout: 5_000 })
  t.after(() => pool.destroy())
  const load = async (ms: number) => {
    const deadline = Date.now() + ms
    let failed = 0
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
          const response = await pool.request({ path: '/', method: 'GET' })
          await response.body.dump()
          if (response.statusCode !== 200) failed++
        }
      }),
    )
    return failed
  }
  // The worst split the kernel can make (44/6 of a burst of 50 was seen): one worker is stopped
  // while the 40 connections are opened, so the other accepts them all.
  process.kill(asleep!, 'SIGSTOP')
  try {
    assert.equal(await load(300), 0)
  } finally {
    process.kill(asleep!, 'SIGCONT')
  }
  // All on the awake worker: the stopped one accepted none. (The awake one may have begun shedding
  // already, its last report of the other being 0: then fewer than 40 are open, all of them its.)
  const before = connectionsPerProcess([asleep!, awake!], running.port)
  assert.equal(before.get(asleep!), 0)
  assert.ok(before.get(awake!)! > 0, `the awake worker holds the connections: ${before.get(awake!)}`)
  // A bounded closed loop, each connection kept alive: the busy worker asks its excess to reconnect.
  assert.equal(await load(3_000), 0, 'shedding closes connections between requests only')
  const held = [...connectionsPerProcess([asleep!, awake!], running.port).values()]
  assert.equal(held[0]! + held[1]!, 40, `40 connections open: ${held.join(' + ')}`)
  for (const count of held) assert.ok(count >= 14, `each worker holds a fair part of the 40 connections: ${held.join(' + ')}`)
})

test('a logout through one worker reaches the other before its response: the next request there is anonymous', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const session = ory.addCookieSession('ory_session_x', 'C', 'identity-c')
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url, '--session-cache-ttl', '1m'])
  const [a, b] = await clientsOnDistinctWorkers(t, running, 2)
  const cookie = { cookie: 'ory_session_x=C' }
  // Both workers hold the session in their own cache.
  for (const { connection: client } of [b!, a!]) {
    assert.equal((await authorizationSeen(await client.request({ path: '/', method: 'GET', headers: cookie }))).length, 1)
  }
  assert.equal(ory.whoamiCalls.length, 1)

  const logout = await a!.connection.request({ path: `/.ory/self-service/logout?token=logout-${session.id}`, method: 'GET', headers: cookie })
  await logout.body.dump()
  assert.equal(logout.statusCode, 303)
  assert.deepEqual(await authorizationSeen(await b!.connection.request({ path: '/', method: 'GET', headers: cookie })), [])
  assert.equal(ory.whoamiCalls.length, 2, 'the worker that did not see the logout asked Ory again')
})

test('a killed worker is replaced while the other keeps serving; only what was on it can fail', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url, '--no-jwt'])
  await until(() => workerPids(running.cli).length === 2, 'two worker processes')
  const [victim, survivor] = workerPids(running.cli)

  let failed = 0
  let answered = 0
  const deadline = Date.now() + 10_000
  const load = (async () => {
    // Sequential, a new connection each: at most one request is in flight when the worker dies.
    for (let i = 0; i < 150 && Date.now() < deadline; i++) {
      try {
        if ((await onNewConnection(running.url)).status === 200) answered++
        else failed++
      } catch {
        failed++
      }
    }
  })()
  await until(() => answered >= 20, 'requests before the kill')
  process.kill(victim!, 'SIGKILL')
  await load
  assert.ok(failed <= 1, `${failed} requests failed; only one was in flight on the killed worker`)
  await waitForStderr(running.cli, /worker \d+ exited \(SIGKILL\); starting another/)
  await until(() => workerPids(running.cli).length === 2, 'a replacement worker', 10_000)
  const pids = workerPids(running.cli)
  assert.ok(pids.includes(survivor!) && !pids.includes(victim!), `survivor kept, victim replaced: ${pids.join(', ')}`)
  // Which worker accepts a new connection is the kernel's choice, so the survivor is paused: the
  // next connection can only be the replacement's.
  const replacement = pids.find((pid) => pid !== survivor)!
  process.kill(survivor!, 'SIGSTOP')
  try {
    const requestId = `after-${randomUUID()}`
    assert.equal((await onNewConnection(running.url, { 'x-request-id': requestId })).status, 200)
    assert.equal((await lineOf(running.cli, requestId)).pid, replacement, 'the replacement serves')
  } finally {
    process.kill(survivor!, 'SIGCONT')
  }
})

/** A preload (NODE_OPTIONS) with which every cluster worker exits with code 3 while `marker` exists. */
function failingWorkers(marker: string): Record<string, string> {
  const code = `import c from 'node:cluster';import {existsSync} from 'node:fs';if(c.isWorker&&existsSync(${JSON.stringify(marker)}))process.exit(3)`
  return { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(code)}` }
}

test('workers that die as they start: at start one line and exit code 2; later, failed replacements are retried until one runs', async (t) => {
  const marker = join(tempDir(t), 'fail')
  writeFileSync(marker, '')
  await expectUsageError(
    ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--no-jwt', '--workers', '2', '--port', String(await freePort())],
    /a worker exited \(code 3\) before it was ready/,
    failingWorkers(marker),
  )

  rmSync(marker)
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--workers', '2', '--port', String(port), '-y'], 'listening on port', failingWorkers(marker))
  await until(() => workerPids(cli).length === 2, 'two worker processes')
  writeFileSync(marker, '')
  process.kill(workerPids(cli)[0]!, 'SIGKILL')
  await waitForStderr(cli, /a replacement worker failed: a worker exited \(code 3\) before it was ready/)
  // The other worker serves meanwhile.
  const meanwhile = await request(`http://127.0.0.1:${port}/`)
  assert.equal(meanwhile.statusCode, 200)
  await meanwhile.body.dump()
  rmSync(marker)
  await until(() => workerPids(cli).length === 2, 'a replacement that starts', 15_000)
  assert.equal(cli.child.exitCode, null, 'the proxy kept running throughout')
})

test('--workers start-up errors are one line and exit code 2', { concurrency: 3 }, async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.after(() => taken.close())
  const port = (taken.address() as net.AddressInfo).port
  await t.test('port in use', () =>
    expectUsageError(
      ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--no-jwt', '-y', '--workers', '2', '--port', String(port)],
      /port \d+ is already in use/,
    ),
  )
  for (const bad of ['0', 'many', '1.5', '-2', '999']) {
    await t.test(`--workers ${bad}`, async () =>
      expectUsageError(
        ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--no-jwt', '--port', String(await freePort()), '--workers', bad],
        /--workers must be a number from 1 to 256 or auto/,
      ),
    )
  }
})

test('--workers auto (or ORY_PROXY_WORKERS) starts one worker per CPU', async (t) => {
  const app = await startUpstream(t)
  const help = await runCli(['start', '--help'])
  assert.match(help.stdout, /--workers=<value>\s+\[default: 1, env: ORY_PROXY_WORKERS\]/)
  const cpus = availableParallelism()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '-y', '--port', String(await freePort())], 'listening on port', {
    ORY_PROXY_WORKERS: 'auto',
  })
  // One CPU is one process, without a cluster.
  if (cpus > 1) assert.match(cli.stderr, new RegExp(`with ${cpus} workers`))
  await until(() => workerPids(cli).length === (cpus > 1 ? cpus : 0), `${cpus} workers`)
})

test('SIGTERM drains requests in flight on the workers, then every process exits', async (t) => {
  const held = heldResponder()
  const app = await startUpstream(t, held.responder)
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', app.url, '--no-jwt'])
  await until(() => workerPids(running.cli).length === 2, 'two worker processes')
  const pids = workerPids(running.cli)
  const inFlight = request(`${running.url}/slow`)
  await held.arrived
  running.cli.child.kill('SIGTERM')
  await waitForStderr(running.cli, 'finishing in-flight requests')
  held.release()
  const response = await inFlight
  assert.equal(response.statusCode, 200)
  assert.equal(await response.body.text(), 'finished')
  assert.equal(await running.cli.exited, 0)
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`)
})

test('every worker goes by one Via name, so a request looping back through any of them is answered 508 at once', async (t) => {
  let proxyPort = 0
  // An app that sends /loop back to the proxy on a new connection, as a misconfigured upstream would.
  const app = await startUpstream(t, (req, res) => {
    if (req.url !== '/loop') return void res.end('plain')
    const back = http.request({ port: proxyPort, host: '127.0.0.1', path: req.url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(res)
    })
    back.end()
  })
  const ory = await startFakeOry(t)
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url])
  proxyPort = running.port
  const pinned = await clientsOnDistinctWorkers(t, running, 2)
  const names = new Set<string>()
  for (const { connection: client } of pinned) {
    const plain = await client.request({ path: '/plain', method: 'GET' })
    await plain.body.dump()
    names.add(String(plain.headers.via))
    const looped = await client.request({ path: '/loop', method: 'GET' })
    await looped.body.dump()
    assert.equal(looped.statusCode, 508)
  }
  assert.equal(names.size, 1, `one Via name: ${[...names].join(' | ')}`)
  assert.match([...names][0]!, /^1\.1 ory-proxy-[0-9a-f]{8}$/)
  // Each looped request came back once, whichever worker the app's new connection reached.
  assert.equal(app.requests.filter((seen) => seen.url === '/loop').length, 2)
})

test('an idle proxy with workers exits within a second of SIGTERM, whatever connections clients left', async (t) => {
  const app = await startUpstream(t)
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', app.url, '--no-jwt'])
  await probePort(running.port)
  await openConnection(t, running.port)
  await openConnection(t, running.port, 'PRI * HTTP/2.0\r\n')
  const keptAlive = new Client(running.url)
  t.after(() => keptAlive.destroy())
  await (await keptAlive.request({ path: '/', method: 'GET' })).body.dump()
  const session = await h2Connect(t, running.url)
  assert.equal((await h2Request(session, { ':path': '/' })).status, 200)
  const started = Date.now()
  running.cli.child.kill('SIGTERM')
  assert.equal(await running.cli.exited, 0)
  assert.ok(Date.now() - started < exitBoundMs(), `exited after ${Date.now() - started} ms`)
})

/**
 * A second, and on Node 20 another second: its V8 (11.3) finishes, before a process exits, the
 * optimising compile of undici's llhttp WebAssembly that the first request to the app began, 190–220
 * ms a process on a 2-core machine here (20 ms with `node --liftoff-only`); Node 24 does not wait.
 */
function exitBoundMs(): number {
  // 2,091 ms seen once on Node 20 in a loaded CI run; waiting for idle connections would take 5 s.
  return process.versions.node.startsWith('20.') ? 3_000 : 1_000
}

test('every worker speaks h2c and WebSockets, with the JWT', async (t) => {
  const app = await startWebSocketApp(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'D', 'identity-d')
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', ory.url])
  await onDistinctWorkers(
    running,
    2,
    async (requestId) => {
      const session = await h2Connect(t, running.url)
      const response = await h2Request(session, { ':path': '/', 'x-request-id': requestId, cookie: 'ory_session_x=D' })
      assert.equal(response.status, 200)
      assert.equal(response.body.toString(), 'page')
      return session
    },
    (session) => session.close(),
  )
  const sockets = await onDistinctWorkers(
    running,
    2,
    async (requestId) => {
      const socket = await openWebSocket(t, `${running.url.replace('http', 'ws')}/`, 'vite-hmr', {
        headers: { cookie: 'ory_session_x=D', 'x-request-id': requestId },
      })
      assert.equal(await socket.next(), '{"type":"connected"}')
      socket.socket.send('hello')
      assert.equal(await socket.next(), 'echo:hello')
      return socket
    },
    (socket) => socket.socket.close(),
  )
  assert.equal(sockets.length, 2, 'WebSockets on both workers')
  const upgrades = app.sockets.map((socket) => socket.headers.authorization)
  for (const authorization of upgrades) assert.match(authorization?.join() ?? '', /^Bearer ey[^,]+$/)
})
