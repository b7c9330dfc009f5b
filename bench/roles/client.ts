/**
 * Client role: runs one {@link Load} per IPC message and answers with its {@link LoadResult}s
 * (one per load; several for a parallel one). HTTP/1.1 as fast as the server answers through
 * autocannon; at a fixed rate through a paced loop of its own (autocannon's `overallRate` lets each
 * connection send its whole quota in a burst at the top of every second, which measures a
 * saturated burst, not a steady rate); a new connection per request through a loop on raw sockets
 * (see {@link HttpLoad.reconnect}); h2c through a bounded loop of its own, since autocannon
 * speaks HTTP/1.1 only. Latencies are taken from each response in fractional ms (autocannon's own
 * histogram keeps whole ms).
 */
import { execFile } from 'node:child_process'
import http2 from 'node:http2'
import net from 'node:net'
import autocannon from 'autocannon'
import { promisify } from 'node:util'
import { Pool } from 'undici'
import { percentile } from '../lib/cli-process.js'
import { SESSION_COOKIE, type H2Load, type HttpLoad, type Load, type LoadResult } from '../lib/load.js'

/** Failed requests by what they were (`HTTP 503`, `UND_ERR_HEADERS_TIMEOUT`, …), so a guard that saw some can say which. */
class Failures {
  readonly byKind: Record<string, number> = {}
  total = 0

  add(kind: string, count = 1): void {
    if (count === 0) return
    this.byKind[kind] = (this.byKind[kind] ?? 0) + count
    this.total += count
  }

  status(code: number): void {
    this.add(`HTTP ${code}`)
  }

  error(error: unknown): void {
    const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
    this.add(typeof code === 'string' ? code : typeof name === 'string' ? name : 'error')
  }
}

function summary(latencies: number[], seconds: number, failures: Failures): LoadResult {
  const round = (ms: number) => Math.round(ms * 1000) / 1000
  return {
    requests: latencies.length,
    seconds,
    rps: Math.round(latencies.length / seconds),
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    errors: failures.total,
    failures: failures.byKind,
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
  const failures = new Failures()
  const pending = new Set<Promise<void>>()
  const send = (sequence: number) => {
    const started = performance.now()
    const cookie = cookieFor(load, sequence)
    const done = pool
      .request({ path: url.pathname, method: 'GET', headers: cookie === undefined ? {} : { cookie } })
      .then(async ({ statusCode, body }) => {
        await body.dump()
        if (statusCode >= 200 && statusCode < 300) latencies.push(performance.now() - started)
        else failures.status(statusCode)
      })
      .catch((error: unknown) => failures.error(error))
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
  return summary(latencies, seconds, failures)
}

const SUCCESS = /^HTTP\/1\.1 2\d\d /
const STATUS = /^HTTP\/1\.1 (\d{3}) /

/**
 * A new TCP connection per request: `connections` loops, each connecting, writing one GET with
 * `Connection: close`, and reading until the server closes (the response is complete then: the
 * server ends the connection after it, so the server side holds the TIME_WAIT and the client's
 * ports come free at once). Latency counts from `connect()` to the server's FIN, so it includes
 * the handshake. Bounded by `seconds` or `amount`, and 10 s per request.
 */
async function runReconnecting(load: HttpLoad): Promise<LoadResult> {
  const url = new URL(load.url)
  const port = Number(url.port)
  const head = (sequence: number) => {
    const cookie = cookieFor(load, sequence)
    return `GET ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n${cookie === undefined ? '' : `cookie: ${cookie}\r\n`}\r\n`
  }
  const latencies: number[] = []
  const failures = new Failures()
  let sent = 0
  const once = (request: string) =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const socket = net.connect({ port, host: url.hostname, noDelay: true })
      let status = ''
      let ended = 0
      let failure: unknown
      socket.setTimeout(10_000, () => socket.destroy(Object.assign(new Error('no answer in 10 s'), { code: 'timeout' })))
      socket.on('connect', () => socket.write(request, 'latin1'))
      socket.on('data', (chunk: Buffer) => {
        if (status.length < 16) status += chunk.toString('latin1', 0, 16)
      })
      socket.on('end', () => (ended = performance.now()))
      socket.on('error', (error) => (failure = error))
      socket.on('close', (hadError) => {
        const code = STATUS.exec(status)?.[1]
        if (!hadError && ended > 0 && SUCCESS.test(status)) latencies.push(ended - started)
        else if (hadError) failures.error(failure)
        else if (code !== undefined) failures.status(Number(code))
        else failures.add('closed before an answer')
        resolve()
      })
    })
  const began = performance.now()
  const end = began + (load.seconds ?? 5) * 1000
  const more = () => (load.amount === undefined ? performance.now() < end : sent < load.amount)
  await Promise.all(
    Array.from({ length: load.connections }, async () => {
      while (more()) await once(head(sent++))
    }),
  )
  return summary(latencies, (performance.now() - began) / 1000, failures)
}

/**
 * Keep-alive connections at full speed through undici: `connections` loops, each sending its next
 * request when the last one's body is read. A response with `Connection: close` (a cluster worker
 * shedding connections to balance them) ends that connection and the next request opens another.
 */
async function runClosedLoop(load: HttpLoad): Promise<LoadResult> {
  const url = new URL(load.url)
  const pool = new Pool(url.origin, { connections: load.connections, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 })
  const latencies: number[] = []
  const failures = new Failures()
  let sent = 0
  const began = performance.now()
  const end = began + (load.seconds ?? 5) * 1000
  const more = () => (load.amount === undefined ? performance.now() < end : sent < load.amount)
  await Promise.all(
    Array.from({ length: load.connections }, async () => {
      while (more()) {
        const cookie = cookieFor(load, sent++)
        const started = performance.now()
        try {
          const { statusCode, body } = await pool.request({ path: url.pathname, method: 'GET', headers: cookie === undefined ? {} : { cookie } })
          await body.dump()
          if (statusCode >= 200 && statusCode < 300) latencies.push(performance.now() - started)
          else failures.status(statusCode)
        } catch (error) {
          failures.error(error)
        }
      }
    }),
  )
  const seconds = (performance.now() - began) / 1000
  await pool.close()
  return summary(latencies, seconds, failures)
}

/** wrk's latency figures (`50%   21.10ms`) in ms. */
const WRK_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
function wrkMs(output: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)$`, 'm').exec(output)
  if (match === null) throw new Error(`wrk printed no ${label} latency: ${output}`)
  return Math.round(Number(match[1]) * WRK_UNITS[match[2]!]! * 1000) / 1000
}

/** One wrk run (one thread, `connections` keep-alive connections, `seconds`), its figures read from its report. */
async function runWrk(load: HttpLoad): Promise<LoadResult> {
  const seconds = load.seconds ?? 5
  const cookie = cookieFor(load, 0)
  const args = ['-t1', `-c${load.connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', ...(cookie === undefined ? [] : ['-H', `Cookie: ${cookie}`]), load.url]
  const began = performance.now()
  const { stdout } = await promisify(execFile)('wrk', args, { timeout: (seconds + 30) * 1000 })
  const elapsed = (performance.now() - began) / 1000
  const requests = Number(/^\s*(\d+) requests in/m.exec(stdout)?.[1] ?? Number.NaN)
  const failures = new Failures()
  // wrk counts answers outside 2xx without their status, and socket errors by kind.
  failures.add('HTTP non-2xx', Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0))
  for (const [, kind, count] of stdout.matchAll(/(connect|read|write|timeout) (\d+)/g)) failures.add(`socket ${kind}`, Number(count))
  return {
    requests,
    seconds: elapsed,
    rps: Math.round((requests - failures.total) / seconds),
    p50: wrkMs(stdout, '50%'),
    p99: wrkMs(stdout, '99%'),
    errors: failures.total,
    failures: failures.byKind,
  }
}

function runHttp(load: HttpLoad): Promise<LoadResult> {
  if (load.reconnect === true) return runReconnecting(load)
  if (load.client === 'undici') return runClosedLoop(load)
  if (load.client === 'wrk') return runWrk(load)
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
  const failures = new Failures()
  let ok = 0
  return new Promise((resolve, reject) => {
    const began = performance.now()
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error)
      const seconds = (performance.now() - began) / 1000
      failures.add('socket error', result.errors)
      failures.add('timeout', result.timeouts)
      resolve({ ...summary(latencies, seconds, failures), requests: ok + failures.total, rps: Math.round(ok / seconds) })
    })
    instance.on('response', (_client, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) {
        ok++
        latencies.push(ms)
      } else {
        failures.status(status)
      }
    })
  })
}

async function runH2(load: H2Load): Promise<LoadResult> {
  const session = http2.connect(load.url)
  await new Promise((resolve, reject) => (session.once('connect', resolve), session.once('error', reject)))
  session.on('error', () => {})
  const latencies: number[] = []
  const failures = new Failures()
  const began = performance.now()
  const end = began + load.seconds * 1000
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const stream = session.request({ ':path': '/' })
      let status = 0
      let failure: unknown
      stream.on('response', (headers) => (status = Number(headers[':status'])))
      stream.on('error', (error) => (failure = error))
      stream.resume()
      stream.on('close', () => {
        if (status >= 200 && status < 300) latencies.push(performance.now() - started)
        else if (status !== 0) failures.status(status)
        else failures.error(failure)
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
  return summary(latencies, seconds, failures)
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
