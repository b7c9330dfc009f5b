import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test, type TestContext } from 'node:test'
import zlib from 'node:zlib'
import { request } from 'undici'
import { ClusterMetrics } from '../../src/observability/cluster-metrics.js'
import { ProxyMetrics } from '../../src/observability/metrics.js'
import { parseMetrics, type Scrape } from '../helpers/metrics.js'
import { startTestProxy } from '../helpers/proxy.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'
import { heldResponder, startUpstream } from '../helpers/upstream.js'

async function read(metrics: ProxyMetrics): Promise<Scrape> {
  return parseMetrics(await metrics.text())
}

async function fetchStatus(url: string): Promise<number> {
  const response = await request(url)
  await response.body.dump()
  return response.statusCode
}

/** A proxy whose Ory answers by path: an HTML page linking to Ory, a JSON body without, a large one, a broken gzip body. */
async function rewriteSetup(t: TestContext) {
  let oryUrl = ''
  const ory = await startUpstream(t, (req, res) => {
    switch (req.url) {
      case '/page':
        res.setHeader('content-type', 'text/html')
        return res.end(`<a href="${oryUrl}/ui/login">sign in</a>`)
      case '/plain':
        res.setHeader('content-type', 'application/json')
        return res.end('{"ok":true}')
      case '/large-declared':
        res.setHeader('content-type', 'text/html')
        return res.end('x'.repeat(2_000))
      case '/large-chunked':
        res.setHeader('content-type', 'text/html')
        res.write('x'.repeat(1_500))
        return res.end('x'.repeat(1_500))
      case '/broken-gzip':
        res.setHeader('content-type', 'text/html')
        res.setHeader('content-encoding', 'gzip')
        return res.end(Buffer.from('not gzip at all'))
      default:
        res.setHeader('content-type', 'image/png')
        return res.end(zlib.gzipSync('binary'))
    }
  })
  oryUrl = ory.url
  const app = await startUpstream(t)
  const metrics = new ProxyMetrics()
  const proxy = await startTestProxy(t, app.url, ory.url, {}, { observer: metrics, maxRewriteBytes: 1_024 })
  metrics.watch({ proxy })
  return { metrics, proxy, oryUrl }
}

test('rewrite bodies: rewritten, unchanged, too large (declared or read), undecodable, and the bytes read', async (t) => {
  const { metrics, proxy, oryUrl } = await rewriteSetup(t)
  for (const path of ['/page', '/plain', '/large-declared', '/large-chunked', '/broken-gzip', '/image']) {
    assert.equal(await fetchStatus(`${proxy.url}/.ory${path}`), 200, path)
  }
  const scraped = await read(metrics)
  const results = Object.fromEntries(
    ['rewritten', 'unchanged', 'too_large', 'undecodable'].map((result) => [result, scraped.value('ory_proxy_rewrite_bodies_total', { result })]),
  )
  assert.deepEqual(results, { rewritten: 1, unchanged: 1, too_large: 2, undecodable: 1 })
  // Read: the page, the JSON, the chunked body until it passed the bound (1,500 + 1,500 bytes
  // arrive in one or two chunks), the broken gzip; never the declared-large body or the image.
  const page = `<a href="${oryUrl}/ui/login">sign in</a>`.length
  const bytes = scraped.value('ory_proxy_rewrite_read_bytes_total')
  assert.ok(bytes >= page + 11 + 1_025 + 15 && bytes <= page + 11 + 3_000 + 15, `${bytes} bytes read`)
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'ory', status_class: '2xx' }), 6)
})

test('a client that leaves before any answer counts once, as 499 / ERR_CLIENT_ABORTED', async (t) => {
  const app = await startUpstream(t)
  const held = heldResponder()
  app.respond(held.responder)
  const metrics = new ProxyMetrics()
  const proxy = await startTestProxy(t, app.url, app.url, {}, { observer: metrics })
  const controller = new AbortController()
  const pending = request(`${proxy.url}/slow`, { signal: controller.signal }).catch(() => undefined)
  await held.arrived
  controller.abort()
  await pending
  // The proxy hears of the abort a moment after the client made it.
  for (let i = 0; i < 200 && (await read(metrics)).value('ory_proxy_requests_total') === 0; i++) await sleep(10)
  // The app answers after all: nothing more is counted.
  held.release()
  await sleep(100)
  const scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'app', method: 'GET', status_class: '4xx' }), 1)
  assert.equal(scraped.value('ory_proxy_requests_total'), 1, 'counted once')
  assert.equal(scraped.value('ory_proxy_request_errors_total', { code: 'ERR_CLIENT_ABORTED' }), 1)
})

test('capacity evictions, whoami outcomes (active, inactive, timeout), signatures, the queue and the cache size', async (t) => {
  const metrics = new ProxyMetrics()
  const { ory, proxy, gate } = await startSessionProxy(t, { cacheSize: 2, cacheTtlMs: 60_000, events: metrics, observer: metrics })
  metrics.watch({ proxy, gate })
  for (const name of ['a', 'b', 'c']) ory.addCookieSession('ory_session_x', name, `identity-${name}`)
  for (const name of ['a', 'b', 'c']) assert.equal((await viewThrough(proxy, '/', { cookie: `ory_session_x=${name}` })).status, 200)
  let scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_session_cache_evictions_total', { reason: 'capacity' }), 1, 'c pushed a out')
  assert.equal(scraped.value('ory_proxy_session_cache_entries'), 2)
  assert.equal(scraped.value('ory_proxy_whoami_duration_seconds_count', { outcome: 'active' }), 3)
  assert.equal(scraped.value('ory_proxy_jwt_signing_duration_seconds_count'), 3)
  assert.equal(scraped.value('ory_proxy_jwt_signing_queue_depth'), 0)

  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=nobody' })).status, 200)
  scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_whoami_duration_seconds_count', { outcome: 'inactive' }), 1)
  const hung = await startSessionProxy(t, { whoamiTimeoutMs: 100, events: metrics })
  hung.ory.setMode('hang')
  hung.ory.addCookieSession('ory_session_x', 'z', 'identity-z')
  assert.equal((await viewThrough(hung.proxy, '/', { cookie: 'ory_session_x=z' })).status, 503)
  scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_whoami_duration_seconds_count', { outcome: 'timeout' }), 1)
})

test('expired entries and logouts are counted as they leave the cache', async (t) => {
  const metrics = new ProxyMetrics()
  const { ory, proxy } = await startSessionProxy(t, { cacheTtlMs: 100, events: metrics })
  const session = ory.addCookieSession('ory_session_x', 'a', 'identity-a')
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=a' })).status, 200)
  await sleep(150)
  assert.equal((await viewThrough(proxy, '/', { cookie: 'ory_session_x=a' })).status, 200)
  let scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_session_cache_evictions_total', { reason: 'expired' }), 1)
  const logout = await request(`${proxy.url}/.ory/self-service/logout?token=logout-${session.id}`, { headers: { cookie: 'ory_session_x=a' } })
  await logout.body.dump()
  assert.equal(logout.statusCode, 303)
  scraped = await read(metrics)
  assert.equal(scraped.value('ory_proxy_session_cache_evictions_total', { reason: 'logout' }), 1)
})

test('the cluster scrape adds up the workers\' figures and the primary\'s process metrics', async () => {
  const workers = [new ProxyMetrics(), new ProxyMetrics()]
  const request = (route: 'app' | 'ory') =>
    ({ route, method: 'GET', startedAt: performance.now(), upstreamMs: 1, session: 'bypass', errorCode: undefined }) as never
  workers[0]!.requestEnded(request('app'), 200)
  workers[0]!.requestEnded(request('app'), 200)
  workers[1]!.requestEnded(request('app'), 200)
  workers[1]!.requestEnded(request('ory'), 503)
  const cluster = new ClusterMetrics(async () => ({
    answers: new Map(await Promise.all(workers.map(async (worker, id) => [id, await worker.json()] as const))),
    live: new Set([0, 1]),
  }))
  const scraped = parseMetrics(await cluster.text())
  assert.equal(cluster.contentType.startsWith('text/plain; version=0.0.4'), true)
  assert.equal(scraped.value('ory_proxy_workers'), 2)
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'app', status_class: '2xx' }), 3)
  assert.equal(scraped.value('ory_proxy_requests_total', { route: 'ory', status_class: '5xx' }), 1)
  assert.equal(scraped.value('ory_proxy_request_duration_seconds_count'), 4)
  assert.equal(scraped.value('ory_proxy_upstream_headers_duration_seconds_bucket', { le: '0.001' }), 4)
  // Three processes' resident memory, added up.
  const one = parseMetrics(await workers[0]!.text()).value('process_resident_memory_bytes')
  assert.ok(scraped.value('process_resident_memory_bytes') > 2 * one)
  const none = parseMetrics(await new ClusterMetrics(async () => ({ answers: new Map(), live: new Set() })).text())
  assert.equal(none.value('ory_proxy_workers'), 0)
})

test('the cluster scrape keeps a worker\'s counters and histograms when it misses a scrape or exits, and never its gauges once gone', async () => {
  const workers = [new ProxyMetrics(), new ProxyMetrics()]
  const request = { route: 'app', method: 'GET', startedAt: performance.now(), upstreamMs: 1, session: 'bypass', errorCode: undefined } as never
  workers[0]!.requestEnded(request, 200)
  for (let i = 0; i < 3; i++) workers[1]!.requestEnded(request, 200)
  // Worker 1 has 7 sessions cached (a gauge: what is true now, gone with the process).
  workers[1]!.watch({ gate: { cachedSessions: 7, signingQueueDepth: 0 } })
  let answering = [0, 1]
  let live = [0, 1]
  const cluster = new ClusterMetrics(async () => ({
    answers: new Map(await Promise.all(answering.map(async (id) => [id, await workers[id]!.json()] as const))),
    live: new Set(live),
  }))
  const scrape = async () => parseMetrics(await cluster.text())
  const app = { route: 'app', status_class: '2xx' }
  assert.equal((await scrape()).value('ory_proxy_requests_total', app), 4)
  assert.equal((await scrape()).value('ory_proxy_session_cache_entries'), 7)
  // Worker 1 misses a scrape (stuck past the deadline): its 3 stay in.
  answering = [0]
  let scraped = await scrape()
  assert.equal(scraped.value('ory_proxy_workers'), 1)
  assert.equal(scraped.value('ory_proxy_requests_total', app), 4)
  assert.equal(scraped.value('ory_proxy_request_duration_seconds_count'), 4)
  // Worker 1 exits; a replacement (2) starts from zero: the 3 stay in for good, its open connection does not.
  workers[2] = new ProxyMetrics()
  workers[2].requestEnded(request, 200)
  answering = [0, 2]
  live = [0, 2]
  for (let i = 0; i < 2; i++) {
    scraped = await scrape()
    assert.equal(scraped.value('ory_proxy_requests_total', app), 5)
    assert.equal(scraped.value('ory_proxy_request_duration_seconds_count'), 5)
    assert.equal(scraped.value('ory_proxy_session_cache_entries'), 0)
  }
})
