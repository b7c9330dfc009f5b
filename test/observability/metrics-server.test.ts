import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { request } from 'undici'
import { isProxyError } from '../../src/errors.js'
import { startMetricsServer } from '../../src/observability/metrics-server.js'
import { serveOnLoopback } from '../helpers/upstream.js'

async function get(url: string): Promise<[number, string]> {
  const response = await request(url)
  return [response.statusCode, await response.body.text()]
}

test('/health/ready follows the proxy: starting (503), ready (200), stopping (503); /health/alive is 200 throughout', async (t) => {
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, { contentType: 'text/plain; version=0.0.4', text: async () => 'x 1\n' })
  t.after(() => server.close())
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.deepEqual(await get(`${server.url}/health/ready`), [503, '{"status":"starting"}\n'])
  assert.deepEqual(await get(`${server.url}/health/alive`), [200, '{"status":"alive"}\n'])
  server.readiness = 'ready'
  assert.deepEqual(await get(`${server.url}/health/ready`), [200, '{"status":"ready"}\n'])
  assert.deepEqual(await get(`${server.url}/metrics`), [200, 'x 1\n'])
  assert.deepEqual(await get(`${server.url}/metrics?name[]=x`), [200, 'x 1\n'], 'a query is ignored')
  server.readiness = 'stopping'
  assert.deepEqual(await get(`${server.url}/health/ready`), [503, '{"status":"stopping"}\n'])
  assert.deepEqual(await get(`${server.url}/health/alive`), [200, '{"status":"alive"}\n'])
})

test('metrics that cannot be made are a 500 naming why; the listener goes on', async (t) => {
  let fail = true
  const server = await startMetricsServer(
    { host: '127.0.0.1', port: 0 },
    {
      contentType: 'text/plain; version=0.0.4',
      text: async () => {
        if (fail) throw new Error('worker scrape failed')
        return 'x 1\n'
      },
    },
  )
  t.after(() => server.close())
  assert.deepEqual(await get(`${server.url}/metrics`), [500, 'metrics unavailable: worker scrape failed\n'])
  fail = false
  assert.deepEqual(await get(`${server.url}/metrics`), [200, 'x 1\n'])
})

test('a metrics port in use is ERR_LISTEN naming --metrics', async (t) => {
  const { port } = await serveOnLoopback(t, http.createServer())
  await assert.rejects(
    startMetricsServer({ host: '127.0.0.1', port }, { contentType: 'text/plain', text: async () => '' }),
    (error: unknown) => isProxyError(error) && error.code === 'ERR_LISTEN' && /^--metrics port \d+ is already in use; stop what runs there or pass another --metrics$/.test(error.message),
  )
})

test('close() ends kept-alive scrape connections', async () => {
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, { contentType: 'text/plain', text: async () => 'x 1\n' })
  const response = await request(`${server.url}/metrics`)
  await response.body.text()
  const began = performance.now()
  await server.close()
  assert.ok(performance.now() - began < 500, 'an idle keep-alive connection does not hold it')
})
