import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { test, type TestContext } from 'node:test'
import { request, type Client } from 'undici'
import { expectUsageError, spawnCli } from '../helpers/cli.js'
import { moved, scrape } from '../helpers/metrics.js'
import { startFakeOry } from '../helpers/ory.js'
import { freePort, heldResponder, serveOnLoopback, startUpstream } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'
import { openWebSocket, startWebSocketApp } from '../helpers/websocket.js'
import { clientsOnDistinctWorkers, debugLines, startWorkers, workerPids } from '../helpers/workers.js'

async function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await request(`${base}${path}`, { method: method as 'GET', headers })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

async function startWithMetrics(t: TestContext, app: string, ory: string, args: string[] = []) {
  const port = await freePort()
  const metricsPort = await freePort()
  const cli = await spawnCli(t, ['start', app, '--sdk-url', ory, '--port', String(port), '--metrics', String(metricsPort), '-q', '-y', ...args], 'ready on')
  const metrics = `http://127.0.0.1:${metricsPort}`
  return { cli, url: `http://127.0.0.1:${port}`, metrics, metricsPort }
}

/** Polls /health/ready (bounded): it turns 200 once the signing pool is up, a moment after the ready line. */
async function ready(metrics: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await get(metrics, '/health/ready')).status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('/health/ready never answered 200')
}

test('/metrics after real traffic: every counter moved by exactly what was sent (app, Ory, JWKS, JWT miss and hit, a 503, a WebSocket)', async (t) => {
  const app = await startWebSocketApp(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'a', 'identity-a')
  ory.addCookieSession('ory_session_x', 'b', 'identity-b')
  const { url, metrics } = await startWithMetrics(t, app.url, ory.url)
  await ready(metrics)
  const before = await scrape(metrics)

  for (let i = 0; i < 3; i++) assert.equal((await get(url, `/page-${i}`)).status, 200)
  for (let i = 0; i < 3; i++) assert.equal((await get(url, '/signed-in', { cookie: 'ory_session_x=a' })).status, 200)
  assert.equal((await get(url, '/.ory/self-service/login/browser')).status, 404)
  assert.equal((await get(url, '/.ory/jwks.json')).status, 200)
  ory.setMode('status-500')
  assert.equal((await get(url, '/signed-in', { cookie: 'ory_session_x=b' })).status, 503)
  ory.setMode('ok')
  const mid = await scrape(metrics)
  assert.equal(mid.value('ory_proxy_upstream_connections', { upstream: 'app' }) >= 1, true, 'a kept-alive connection to the app')
  assert.equal(mid.value('ory_proxy_upstream_connections', { upstream: 'ory' }) >= 1, true, 'a kept-alive connection to Ory')
  const socket = await openWebSocket(t, `${url.replace('http:', 'ws:')}/hmr`, 'vite-hmr')
  assert.equal(await socket.next(), '{"type":"connected"}')
  const during = await scrape(metrics)
  assert.equal(during.value('ory_proxy_websocket_tunnels'), 1)
  assert.equal(during.value('ory_proxy_client_connections', { protocol: 'h1' }) >= 1, true)
  socket.socket.close()
  await socket.closed

  let after = await scrape(metrics)
  for (let i = 0; i < 50 && after.value('ory_proxy_websocket_tunnels') !== 0; i++) after = await scrape(metrics)
  assert.deepEqual(
    moved(before, after, [
      ['ory_proxy_requests_total', { route: 'app', method: 'GET', status_class: '2xx' }],
      ['ory_proxy_requests_total', { route: 'app', method: 'GET', status_class: '5xx' }],
      ['ory_proxy_requests_total', { route: 'app', method: 'GET', status_class: '1xx' }],
      ['ory_proxy_requests_total', { route: 'ory', method: 'GET', status_class: '4xx' }],
      ['ory_proxy_requests_total', { route: 'jwks', method: 'GET', status_class: '2xx' }],
      ['ory_proxy_requests_total'],
      ['ory_proxy_request_duration_seconds_count', { route: 'app' }],
      ['ory_proxy_upstream_headers_duration_seconds_count', { route: 'app' }],
      ['ory_proxy_upstream_headers_duration_seconds_count', { route: 'ory' }],
      ['ory_proxy_session_lookups_total', { result: 'miss' }],
      ['ory_proxy_session_lookups_total', { result: 'hit' }],
      ['ory_proxy_whoami_duration_seconds_count', { outcome: 'active' }],
      ['ory_proxy_whoami_duration_seconds_count', { outcome: 'error' }],
      ['ory_proxy_jwt_signing_duration_seconds_count'],
      ['ory_proxy_request_errors_total', { code: 'ERR_ORY_UNAVAILABLE' }],
      ['ory_proxy_request_errors_total'],
      ['ory_proxy_rewrite_bodies_total', { result: 'unchanged' }],
    ]),
    {
      'ory_proxy_requests_total{"route":"app","method":"GET","status_class":"2xx"}': 6,
      'ory_proxy_requests_total{"route":"app","method":"GET","status_class":"5xx"}': 1,
      'ory_proxy_requests_total{"route":"app","method":"GET","status_class":"1xx"}': 1,
      'ory_proxy_requests_total{"route":"ory","method":"GET","status_class":"4xx"}': 1,
      'ory_proxy_requests_total{"route":"jwks","method":"GET","status_class":"2xx"}': 1,
      ory_proxy_requests_total: 10,
      'ory_proxy_request_duration_seconds_count{"route":"app"}': 8,
      // The 503 never reached the app.
      'ory_proxy_upstream_headers_duration_seconds_count{"route":"app"}': 7,
      'ory_proxy_upstream_headers_duration_seconds_count{"route":"ory"}': 1,
      'ory_proxy_session_lookups_total{"result":"miss"}': 2,
      'ory_proxy_session_lookups_total{"result":"hit"}': 2,
      'ory_proxy_whoami_duration_seconds_count{"outcome":"active"}': 1,
      'ory_proxy_whoami_duration_seconds_count{"outcome":"error"}': 1,
      ory_proxy_jwt_signing_duration_seconds_count: 1,
      'ory_proxy_request_errors_total{"code":"ERR_ORY_UNAVAILABLE"}': 1,
      ory_proxy_request_errors_total: 1,
      // Ory's JSON 404 was read for the rewrite and had no Ory URL in it.
      'ory_proxy_rewrite_bodies_total{"result":"unchanged"}': 1,
    },
  )
  assert.equal(after.value('ory_proxy_websocket_tunnels'), 0)
  assert.equal(after.value('ory_proxy_session_cache_entries'), 1, 'the answer for a is cached; an error never is')
  assert.equal(after.value('ory_proxy_rewrite_read_bytes_total') - before.value('ory_proxy_rewrite_read_bytes_total'), '{"error":{"code":404}}'.length)
  // The process metrics prom-client collects by default.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.ok(after.has(name), name)
  }
  // Every metric of ours has help text and a type.
  for (const name of new Set([...after.text.matchAll(/^(ory_proxy_[a-z_]+?)(?:_bucket|_sum|_count)?[{ ]/gm)].map((m) => m[1]!))) {
    const base = name.replace(/_(bucket|sum|count)$/, '')
    assert.match(after.text, new RegExp(`^# HELP ${base} \\S`, 'm'), `help for ${base}`)
    assert.match(after.text, new RegExp(`^# TYPE ${base} (counter|gauge|histogram)$`, 'm'), `type of ${base}`)
  }
})

test('health: /health/alive and /health/ready answer; HEAD works, other methods get 405, other paths 404', async (t) => {
  const app = await startUpstream(t)
  const { metrics } = await startWithMetrics(t, app.url, app.url, ['--no-jwt'])
  await ready(metrics)
  assert.deepEqual(await get(metrics, '/health/alive').then((r) => [r.status, r.text]), [200, '{"status":"alive"}\n'])
  assert.deepEqual(await get(metrics, '/health/ready').then((r) => [r.status, r.text]), [200, '{"status":"ready"}\n'])
  const head = await get(metrics, '/metrics', {}, 'HEAD')
  assert.deepEqual([head.status, head.text], [200, ''])
  assert.equal((await get(metrics, '/metrics', {}, 'POST')).status, 405)
  assert.equal((await get(metrics, '/metrics', {}, 'POST')).headers.allow, 'GET, HEAD')
  assert.equal((await get(metrics, '/')).status, 404)
  assert.equal((await get(metrics, '/health')).status, 404)
  assert.equal(app.requests.length, 0, 'nothing of it reached the app')
})

test('/health/ready answers 503 "stopping" as soon as a drain begins, while /health/alive still answers', async (t) => {
  const app = await startUpstream(t)
  const held = heldResponder()
  app.respond(held.responder)
  const { cli, url, metrics } = await startWithMetrics(t, app.url, app.url, ['--no-jwt'])
  await ready(metrics)
  const inFlight = get(url, '/slow')
  await held.arrived
  cli.child.kill('SIGTERM')
  let readiness = await get(metrics, '/health/ready')
  for (let i = 0; i < 100 && readiness.status === 200; i++) readiness = await get(metrics, '/health/ready')
  assert.deepEqual([readiness.status, readiness.text], [503, '{"status":"stopping"}\n'])
  assert.equal((await get(metrics, '/health/alive')).status, 200)
  held.release()
  assert.equal((await inFlight).text, 'finished')
  assert.equal(await cli.exited, 0)
})

test('nothing of the metrics is on the public port: /metrics and /health/* there go to the app', async (t) => {
  const app = await startUpstream(t)
  const { url } = await startWithMetrics(t, app.url, app.url, ['--no-jwt'])
  for (const path of ['/metrics', '/health/alive', '/health/ready']) {
    const answer = await get(url, path)
    assert.equal(answer.status, 200)
    assert.equal((JSON.parse(answer.text) as { url: string }).url, path, 'the app answered')
  }
  assert.deepEqual(app.requests.map((r) => r.url), ['/metrics', '/health/alive', '/health/ready'])
})

test('--metrics binds 127.0.0.1 unless a host is given; ORY_PROXY_METRICS works too', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const metricsPort = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--port', String(port), '-y'], 'listening on port', {
    ORY_PROXY_METRICS: `127.0.0.1:${metricsPort}`,
  })
  assert.match(cli.stderr, new RegExp(`metrics: http://127\\.0\\.0\\.1:${metricsPort}/metrics`))
  assert.equal((await get(`http://127.0.0.1:${metricsPort}`, '/health/alive')).status, 200)
  const plain = await startWithMetrics(t, app.url, app.url, ['--no-jwt'])
  assert.equal(listenerAddress(plain.metricsPort), '127.0.0.1')
})

test('--metrics errors are one line and exit 2: a port in use, the proxy\'s own port, not a [host:]port', async (t) => {
  const busy = http.createServer()
  const { port: busyPort } = await serveOnLoopback(t, busy)
  const port = await freePort()
  const base = ['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--no-jwt', '-y', '--port', String(port)]
  await expectUsageError([...base, '--metrics', String(busyPort)], new RegExp(`--metrics port ${busyPort} is already in use`))
  await expectUsageError([...base, '--metrics', `127.0.0.1:${busyPort}`, '--workers', '2'], new RegExp(`--metrics port ${busyPort} is already in use`))
  await expectUsageError([...base, '--metrics', String(port)], /--metrics must not use the proxy's port/)
  for (const bad of ['abc', '0', '70000', 'host:', ':9464', '[zz]:9464', 'a b:1']) {
    await expectUsageError([...base, '--metrics', bad], /--metrics must be \[host:\]port|is not an IPv6 address/)
  }
  await expectUsageError(base, /--metrics must be/, { ORY_PROXY_METRICS: 'nope' })
})

/** `--workers 2 --no-jwt --metrics` before an app; resolves once /health/ready says every worker serves. */
async function startMetricsWorkers(t: TestContext) {
  const app = await startUpstream(t)
  const metricsPort = await freePort()
  const running = await startWorkers(t, 2, [app.url, '--sdk-url', app.url, '--no-jwt', '--metrics', String(metricsPort)])
  const metrics = `http://127.0.0.1:${metricsPort}`
  await ready(metrics)
  return { running, metrics }
}

/** `count` GETs of app pages on one connection, each answered 200. */
async function sendPages(client: Client, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await client.request({ path: `/page-${i}`, method: 'GET' })
    await response.body.dump()
    assert.equal(response.statusCode, 200)
  }
}

test('--workers 2 --metrics: one scrape on the primary adds up every worker', async (t) => {
  const { running, metrics } = await startMetricsWorkers(t)
  const clients = await clientsOnDistinctWorkers(t, running, 2)
  for (const { connection } of clients) await sendPages(connection, 10)
  await until(() => debugLines(running.cli).filter((line) => line.route === 'app').length === 20, 'the debug lines of 20 app requests')
  const lines = debugLines(running.cli)
  const byWorker = new Map<unknown, number>()
  for (const line of lines.filter((l) => l.route === 'app')) byWorker.set(line.worker, (byWorker.get(line.worker) ?? 0) + 1)
  assert.deepEqual([...byWorker.values()], [10, 10], 'each worker served ten')
  const scraped = await scrape(metrics)
  assert.equal(scraped.value('ory_proxy_workers'), 2)
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'app' }), 20, 'the sum over both workers')
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'jwks' }), lines.filter((l) => l.route === 'jwks').length)
  assert.equal(scraped.value('ory_proxy_client_connections', { protocol: 'h1' }) >= 2, true)
  assert.ok(scraped.value('process_cpu_seconds_total') > 0)
  assert.equal((await get(metrics, '/health/ready')).status, 200)
})

test('--workers 2 --metrics: counters never go down when a worker misses a scrape (stopped) or exits (killed)', async (t) => {
  const { running, metrics } = await startMetricsWorkers(t)
  const [kept, lost] = await clientsOnDistinctWorkers(t, running, 2)
  await sendPages(kept!.connection, 10)
  await sendPages(lost!.connection, 10)
  const appRequests = async () => (await scrape(metrics)).value('ory_proxy_requests_total', { route: 'app' })
  assert.equal(await appRequests(), 20)
  const lostPid = debugLines(running.cli).find((line) => line.worker === lost!.worker)!.pid as number

  // Stopped, it misses the scrape (after the 2 s deadline): its 10 stay in the sum.
  process.kill(lostPid, 'SIGSTOP')
  t.after(() => {
    try {
      process.kill(lostPid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  const missed = await scrape(metrics)
  assert.equal(missed.value('ory_proxy_workers'), 1)
  assert.equal(missed.value('ory_proxy_requests_total', { route: 'app' }), 20, 'the stopped worker\'s count stays in the sum')
  process.kill(lostPid, 'SIGCONT')

  // Killed and replaced: its 10 stay in the sum for good, beside the replacement's own.
  process.kill(lostPid, 'SIGKILL')
  await until(() => !workerPids(running.cli).includes(lostPid) && workerPids(running.cli).length === 2, 'the killed worker replaced')
  // The replacement answers scrapes once it serves (bounded: 5 s).
  for (let i = 0; i < 100 && (await scrape(metrics)).value('ory_proxy_workers') !== 2; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(await appRequests(), 20, 'the killed worker\'s count stays in the sum')
  await sendPages(kept!.connection, 5)
  assert.equal(await appRequests(), 25)
})

/** The IPv4 address something listens on at `port`, from the kernel's TCP table. */
function listenerAddress(port: number): string | undefined {
  for (const row of readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1)) {
    const [, local, , state] = row.trim().split(/\s+/)
    const [hex, portHex] = local!.split(':')
    if (Number.parseInt(portHex!, 16) === port && state === '0A') {
      return [3, 2, 1, 0].map((i) => Number.parseInt(hex!.slice(i * 2, i * 2 + 2), 16)).join('.')
    }
  }
  return undefined
}
