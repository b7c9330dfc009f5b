/**
 * Client role: runs one {@link Load} per IPC message and answers with its {@link LoadResult}s
 * (one per load; several for a parallel one). HTTP/1.1 as fast as the server answers through
 * autocannon; at a fixed rate through a paced loop of its own (autocannon's `overallRate` lets each
 * connection send its whole quota in a burst at the top of every second, which measures a
 * saturated burst, not a steady rate); h2c through a bounded loop of its own, since autocannon
 * speaks HTTP/1.1 only. Latencies are taken from each response in fractional ms (autocannon's own
 * histogram keeps whole ms).
 */
import http2 from 'node:http2'
import autocannon from 'autocannon'
import { Pool } from 'undici'
import { percentile } from '../lib/cli-process.js'
import { SESSION_COOKIE, type H2Load, type HttpLoad, type Load, type LoadResult } from '../lib/load.js'

function summary(latencies: number[], seconds: number, errors: number): LoadResult {
  const round = (ms: number) => Math.round(ms * 1000) / 1000
  return {
    requests: latencies.length,
    seconds,
    rps: Math.round(latencies.length / seconds),
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    errors,
  }
}

function cookieFor(load: HttpLoad, sequence: number): string | undefined {
  if (load.sessions !== undefined) return `${SESSION_COOKIE}=${(load.session ?? 0) + (sequence % load.sessions)}`
  return load.session === undefined ? undefined : `${SESSION_COOKIE}=${load.session}`
}

/**
 * Open-loop load: request k is sent at start + k/rate over `connections` keep-alive connections,
 * whatever happened to the ones before it (a busy pool queues it). Latency counts from the send.
 */
async function runPaced(load: HttpLoad): Promise<LoadResult> {
  const url = new URL(load.url)
  const pool = new Pool(url.origin, { connections: load.connections, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 })
  const latencies: number[] = []
  let errors = 0
  const pending = new Set<Promise<void>>()
  const send = (sequence: number) => {
    const started = performance.now()
    const cookie = cookieFor(load, sequence)
    const done = pool
      .request({ path: url.pathname, method: 'GET', headers: cookie === undefined ? {} : { cookie } })
      .then(async ({ statusCode, body }) => {
        await body.dump()
        if (statusCode >= 200 && statusCode < 300) latencies.push(performance.now() - started)
        else errors++
      })
      .catch(() => void errors++)
      .finally(() => pending.delete(done))
    pending.add(done)
  }
  const began = performance.now()
  const total = Math.round((load.seconds ?? 5) * load.rate!)
  const interval = 1000 / load.rate!
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - began) / interval) + 1)
    while (sent < due) send(sent++)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + sent * interval - performance.now())))
  }
  await Promise.all(pending)
  const seconds = (performance.now() - began) / 1000
  await pool.close()
  return summary(latencies, seconds, errors)
}

function runHttp(load: HttpLoad): Promise<LoadResult> {
  if (load.rate !== undefined) return runPaced(load)
  let next = 0
  const options: autocannon.Options = {
    url: load.url,
    connections: load.connections,
    pipelining: 1,
    timeout: 10,
    ...(load.amount === undefined ? { duration: load.seconds ?? 5 } : { amount: load.amount }),
    ...(load.session !== undefined && load.sessions === undefined ? { headers: { cookie: cookieFor(load, 0)! } } : {}),
    ...(load.sessions === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (request) => {
                request.headers = { cookie: cookieFor(load, next++)! }
                return request
              },
            },
          ],
        }),
  }
  const latencies: number[] = []
  let ok = 0
  return new Promise((resolve, reject) => {
    const began = performance.now()
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error)
      const seconds = (performance.now() - began) / 1000
      const errors = result.errors + result.timeouts + result.non2xx
      resolve({ ...summary(latencies, seconds, errors), requests: ok + errors, rps: Math.round(ok / seconds) })
    })
    instance.on('response', (_client, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) {
        ok++
        latencies.push(ms)
      }
    })
  })
}

async function runH2(load: H2Load): Promise<LoadResult> {
  const session = http2.connect(load.url)
  await new Promise((resolve, reject) => (session.once('connect', resolve), session.once('error', reject)))
  session.on('error', () => {})
  const latencies: number[] = []
  let errors = 0
  const began = performance.now()
  const end = began + load.seconds * 1000
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const stream = session.request({ ':path': '/' })
      let status = 0
      stream.on('response', (headers) => (status = Number(headers[':status'])))
      stream.on('error', () => {})
      stream.resume()
      stream.on('close', () => {
        if (status >= 200 && status < 300) latencies.push(performance.now() - started)
        else errors++
        resolve()
      })
    })
  await Promise.all(
    Array.from({ length: load.streams }, async () => {
      while (performance.now() < end) await once()
    }),
  )
  const seconds = (performance.now() - began) / 1000
  session.close()
  return summary(latencies, seconds, errors)
}

function run(load: Load): Promise<LoadResult[]> {
  switch (load.kind) {
    case 'http':
      return runHttp(load).then((result) => [result])
    case 'h2':
      return runH2(load).then((result) => [result])
    case 'parallel':
      return Promise.all(load.loads.map((one) => run(one).then((results) => results[0]!)))
  }
}

process.on('message', (load: Load) => {
  run(load).then(
    (results) => process.send!({ results }),
    (error: Error) => process.send!({ error: error.message }),
  )
})
process.send!({ ready: true })
process.on('disconnect', () => process.exit(0))
