import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Agent, request } from 'undici'
import { debugEvents, expectUsageError, spawnCli, type RunningCli } from '../helpers/cli.js'
import { startFakeOry } from '../helpers/ory.js'
import { freePort, startUpstream } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'

const TEXT_LINE = /^=> (\d{3}) ([A-Z]+) \[(.*)\] took (\d+(?:\.\d+)?)ms( jwt| anon)?$/

async function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<number> {
  const response = await request(`http://127.0.0.1:${port}${path}`, { method: method as 'GET', headers })
  await response.body.dump()
  return response.statusCode
}

/** The request lines (`=> …`) in what the CLI wrote after its banner. */
function textLines(cli: RunningCli): string[] {
  return cli.stderr.split('\n').filter((line) => line.startsWith('=> '))
}

async function startCli(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'a', 'identity-a')
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', ory.url, '--port', String(port), ...args], /listening on port|ready on/, env)
  return { app, ory, port, cli }
}

test('by default one short line per request on stderr, as ory proxy prints them, with jwt or anon for app requests', async (t) => {
  const { port, cli } = await startCli(t, [])
  assert.equal(await get(port, '/anonymous?x=1'), 200)
  assert.equal(await get(port, '/signed-in', { cookie: 'ory_session_x=a' }), 200)
  assert.equal(await get(port, '/.ory/sessions/whoami', { cookie: 'ory_session_x=a' }), 200)
  assert.equal(await get(port, '/.ory/jwks.json'), 200)
  assert.equal(await get(port, '/x', { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' }, 'OPTIONS'), 204)
  assert.equal(await get(port, '/trace', {}, 'TRACE'), 405)
  await until(() => textLines(cli).length === 6, 'six request lines')
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
  const lines = textLines(cli).map((line) => TEXT_LINE.exec(line))
  assert.ok(lines.every((match) => match !== null), textLines(cli).join('\n'))
  assert.deepEqual(
    lines.map((m) => [m![1], m![2], m![3], m![5]?.trim()]),
    [
      ['200', 'GET', '/anonymous?x=1', 'anon'],
      ['200', 'GET', '/signed-in', 'jwt'],
      ['200', 'GET', '/.ory/sessions/whoami', undefined],
      ['200', 'GET', '/.ory/jwks.json', undefined],
      ['204', 'OPTIONS', '/x', 'anon'],
      ['405', 'TRACE', '/trace', 'anon'],
    ],
  )
  assert.doesNotMatch(cli.stderr, /^\{/m, 'no JSON without --log-format json or --debug')
})

test('-q prints no request lines: only the ready line', async (t) => {
  const { port, cli } = await startCli(t, ['-q'])
  for (let i = 0; i < 5; i++) assert.equal(await get(port, `/page-${i}`), 200)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
  assert.equal(cli.stderr, `ory-proxy ready on http://localhost:${port}\n`)
})

test('--log-format json: one JSON object per request with the fields of --debug, and nothing else', async (t) => {
  const { port, cli } = await startCli(t, ['--log-format', 'json'])
  assert.equal(await get(port, '/first', { cookie: 'ory_session_x=a', 'x-request-id': 'req-1' }), 200)
  assert.equal(await get(port, '/second', { cookie: 'ory_session_x=a' }), 200)
  await until(() => debugEvents(cli.stderr).length === 2, 'two JSON lines')
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
  const [first, second] = debugEvents(cli.stderr)
  assert.deepEqual(Object.keys(first!).sort(), [
    'error', 'event', 'jwt', 'level', 'method', 'ms', 'path', 'request', 'route', 'session', 'status', 'time', 'upstream_ms',
  ])
  assert.deepEqual(
    { ...first, time: undefined, ms: undefined, upstream_ms: undefined },
    { level: 'info', time: undefined, event: 'request', request: 'req-1', method: 'GET', path: '/first', route: 'app', status: 200, upstream_ms: undefined, ms: undefined, session: 'miss', jwt: true, error: null },
  )
  assert.equal(second!.session, 'hit')
  assert.ok((first!.upstream_ms as number) >= 0 && (first!.upstream_ms as number) <= (first!.ms as number))
  assert.ok(!Number.isNaN(Date.parse(first!.time as string)))
  assert.equal(textLines(cli).length, 0)
})

test('-q with --log-format json (or ORY_PROXY_LOG_FORMAT=json) keeps the JSON lines: a format asked for is kept', async (t) => {
  for (const [args, env] of [[['-q', '--log-format', 'json'], {}], [['-q'], { ORY_PROXY_LOG_FORMAT: 'json' }]] as const) {
    const { port, cli } = await startCli(t, [...args], env)
    assert.equal(await get(port, '/page'), 200)
    await until(() => debugEvents(cli.stderr).length === 1, 'one JSON line')
    cli.child.kill('SIGTERM')
    assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
    assert.equal(cli.stderr.split('\n')[0], `ory-proxy ready on http://localhost:${port}`)
    assert.equal(debugEvents(cli.stderr)[0]!.path, '/page')
  }
})

test('--log-format: an unknown format, or text with --debug, is one line and exit 2', async () => {
  await expectUsageError(['start', 'http://127.0.0.1:9', '--log-format', 'xml'], /log-format/)
  await expectUsageError(['start', 'http://127.0.0.1:9', '--debug', '--log-format', 'text'], /--debug writes JSON lines/)
  await expectUsageError(['start', 'http://127.0.0.1:9', '--debug'], /--debug writes JSON lines/, { ORY_PROXY_LOG_FORMAT: 'text' })
})

test('a reader that stops reading stderr costs dropped lines, never requests: 1,500 requests answered, the proxy exits promptly', async (t) => {
  const { port, cli } = await startCli(t, ['--no-jwt', '--metrics', String(await freePort()), '-y'])
  const metricsPort = Number(/metrics: http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr)![1])
  // The reader stops: Node's stream fills its buffer, then the pipe fills and stays full.
  cli.child.stderr!.removeAllListeners('data')
  cli.child.stderr!.pause()
  // Long paths make long lines: 1,500 requests write about 2.4 MB, far beyond the pipe (64 KiB)
  // and the writer's 1 MiB of queued lines.
  const path = `/${'p'.repeat(1_500)}`
  const agent = new Agent({ connections: 10 })
  t.after(() => agent.close())
  let answered = 0
  const began = performance.now()
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 150; i++) {
        const response = await request(`http://127.0.0.1:${port}${path}?${i}`, { dispatcher: agent })
        await response.body.dump()
        if (response.statusCode === 200) answered++
      }
    }),
  )
  assert.equal(answered, 1_500)
  assert.ok(performance.now() - began < 60_000, 'answered at the usual pace')
  const scraped = await request(`http://127.0.0.1:${metricsPort}/metrics`)
  const dropped = Number(/^ory_proxy_log_lines_dropped_total (\d+)$/m.exec(await scraped.body.text())![1])
  assert.ok(dropped > 0, `lines were dropped (${dropped})`)
  const stopped = performance.now()
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
  assert.ok(performance.now() - stopped < 4_000, 'a stderr nobody reads does not hold the exit')
})

test('a reader that closes stderr costs the lines, never the proxy: warnings and request lines after it are dropped', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const oryDown = `http://127.0.0.1:${await freePort()}`
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', oryDown, '--no-jwt', '--port', String(port)], 'listening on port')
  cli.child.stderr!.destroy()
  // An Ory that cannot be reached makes a warning line, written to the closed pipe (EPIPE).
  assert.equal(await get(port, '/.ory/self-service/login/browser'), 502)
  for (let i = 0; i < 200; i++) assert.equal(await get(port, `/page-${i}`), 200)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0, `exit signal ${cli.child.signalCode}; stderr: ${cli.stderr}`)
})
