import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import autocannon from 'autocannon'
import { spawnCli } from '../helpers/cli.js'
import { startFakeOry } from '../helpers/ory.js'
import { startSessionProxy } from '../helpers/session-proxy.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

/**
 * Short versions of the load checks (checklist d1, d2); `npm run soak` runs the long ones. Bounded
 * by autocannon's duration or request count, so they stop by themselves.
 */

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
}

test('200 keep-alive connections through the JWT path with a warm cache: no errors, one whoami, RSS flat', async (t) => {
  const app = await startUpstream(t, (_req, res, seen) => {
    res.end(seen.headers.authorization?.length === 1 ? 'jwt' : 'anonymous')
  })
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_load', 'A', 'user-a')
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', ory.url, '--port', String(port), '-q'], 'ready')
  const url = `http://127.0.0.1:${port}/`
  const samples: number[] = []
  const sampler = setInterval(() => samples.push(rssMiB(cli.child.pid!)), 250)
  t.after(() => clearInterval(sampler))
  const result = await autocannon({ url, connections: 200, duration: 4, headers: { cookie: 'ory_session_load=A' } })
  clearInterval(sampler)
  assert.equal(result.errors, 0)
  assert.equal(result.timeouts, 0)
  assert.equal(result.non2xx, 0)
  assert.ok(result.requests.total > 0)
  assert.equal(ory.whoamiCalls.length, 1, 'one whoami call for one session')
  // Every answer carried the JWT (the app echoes whether it got exactly one Authorization).
  assert.equal(app.requests.filter((r) => r.headers.authorization?.length !== 1).length, 0)
  const settled = samples.slice(Math.floor(samples.length / 2))
  assert.ok(Math.max(...settled) - Math.min(...settled) < 40, `RSS moved ${Math.min(...settled)}–${Math.max(...settled)} MiB`)
})

test('3,000 distinct sessions through a cache of 300: every user gets their own sub, the cache stays at its bound', async (t) => {
  // The soak (npm run soak) churns 10,000 sessions for a minute; this keeps the suite fast.
  const SESSIONS = 3_000
  const CACHE = 300
  const setup = await startSessionProxy(t, { cacheSize: CACHE, cacheTtlMs: 60_000 })
  for (let i = 0; i < SESSIONS; i++) setup.ory.addCookieSession('ory_session_churn', `s${i}`, `user-${i}`)
  let mismatches = 0
  let next = 0
  const result = await autocannon({
    url: `${setup.proxy.url}/`,
    connections: 20,
    amount: SESSIONS,
    requests: [
      {
        setupRequest: (request) => {
          const i = next++ % SESSIONS
          return { ...request, path: `/?user=${i}`, headers: { ...request.headers, cookie: `ory_session_churn=s${i}` } }
        },
        onResponse: (status, body) => {
          const view = JSON.parse(body) as { url: string; claims?: { sub?: string } }
          const expected = `user-${new URLSearchParams(view.url.slice(2)).get('user')}`
          if (status !== 200 || view.claims?.sub !== expected) mismatches++
        },
      },
    ],
  })
  assert.equal(result.errors, 0)
  assert.equal(result.non2xx, 0)
  assert.equal(mismatches, 0, 'each request carried its own user’s sub')
  assert.equal(setup.ory.whoamiCalls.length, SESSIONS)
  // The LRU holds its bound however many sessions pass; what an entry costs is measured in bench/.
  assert.equal(setup.gate.cachedSessions, CACHE)
})
