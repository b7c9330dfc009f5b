/**
 * Session-layer figures for the README, against the built CLI as a process (run `npm run build`
 * first): start-up time to the first proxied response with `--no-jwt` and with JWTs (median of
 * RUNS), and whoami calls per 1,000 sequential requests carrying one session.
 *
 *   node --import tsx bench/session-startup.ts
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { percentile, startQuiet } from './cli-process.js'

const RUNS = 9
const COOKIE = 'ory_session_bench=A'

/** A tiny app and a whoami that knows one session, both on loopback; `calls` counts whoami requests. */
async function origins() {
  let calls = 0
  const app = http.createServer((_req, res) => res.end('ok'))
  const ory = http.createServer((req, res) => {
    calls++
    res.setHeader('content-type', 'application/json')
    if (!req.headers.cookie?.includes(COOKIE)) {
      res.statusCode = 401
      return res.end('{"error":{"code":401}}')
    }
    const expires = new Date(Date.now() + 3_600_000).toISOString()
    res.end(JSON.stringify({ id: 's1', active: true, expires_at: expires, identity: { id: 'identity-bench', traits: { email: 'bench@example.org' } } }))
  })
  const listen = (server: http.Server) =>
    new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))
  return { app: await listen(app), ory: await listen(ory), calls: () => calls, close: () => (app.close(), ory.close()) }
}

/** Starts the CLI; ms from spawn to its ready line and to the first proxied 200 with a session. */
async function startOnce(
  app: string,
  ory: string,
  extra: string[],
): Promise<{ readyMs: number; ms: number; stop: () => Promise<void>; url: string }> {
  const started = performance.now()
  const cli = await startQuiet([app, '--sdk-url', ory, ...extra])
  const url = `http://127.0.0.1:${cli.port}`
  const response = await request(`${url}/`, { headers: { cookie: COOKIE } })
  await response.body.dump()
  if (response.statusCode !== 200) throw new Error(`first response ${response.statusCode}`)
  const ms = performance.now() - started
  return { readyMs: cli.readyMs, ms, url, stop: cli.stop }
}

const median = (values: number[]) => percentile(values, 0.5)

const servers = await origins()
const modes = [
  { label: '--no-jwt', extra: ['--no-jwt'], ready: [] as number[], first: [] as number[] },
  { label: 'JWT (default)', extra: [], ready: [] as number[], first: [] as number[] },
]
// Interleaved, so load from anything else on the machine falls on both modes alike.
for (let i = 0; i < RUNS; i++) {
  for (const mode of modes) {
    const run = await startOnce(servers.app, servers.ory, mode.extra)
    mode.ready.push(run.readyMs)
    mode.first.push(run.ms)
    await run.stop()
  }
}
const list = (values: number[]) => values.map((t) => t.toFixed(0)).join(', ')
for (const { label, ready, first } of modes) {
  console.log(`${label}, median of ${RUNS}: ready line ${median(ready).toFixed(0)} ms (${list(ready)}); first proxied response ${median(first).toFixed(0)} ms (${list(first)})`)
}

const before = servers.calls()
const started = performance.now()
// startOnce sends the first of the 1,000 requests.
const run = await startOnce(servers.app, servers.ory, [])
for (let i = 1; i < 1_000; i++) {
  const response = await request(`${run.url}/n/${i}`, { headers: { cookie: COOKIE } })
  await response.body.dump()
}
const seconds = (performance.now() - started) / 1000
console.log(`whoami calls for 1,000 sequential requests with one session (default 5 s TTL): ${servers.calls() - before}, in ${seconds.toFixed(2)} s including start-up`)
await run.stop()
servers.close()
