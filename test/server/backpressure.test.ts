import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { test, type TestContext } from 'node:test'
import { Client } from 'undici'
import { spawnCli } from '../helpers/cli.js'
import { h2Connect } from '../helpers/h2.js'
import { freePort, serveOnLoopback } from '../helpers/upstream.js'

const MiB = 1024 * 1024
const TOTAL = 256 * MiB
const CHUNK = Buffer.alloc(64 * 1024, 'x')
/** What the client takes before it stops reading. */
const READ_FIRST = 1 * MiB
/** How long the client (or the app) stops reading. */
const PAUSE_MS = 2_000

/*
 * Bounds, from eleven runs of each test here (load 0.1-2.3; tcp_rmem max 32 MiB, tcp_wmem max 4 MiB).
 * Bytes sent and not yet read by the receiver at the end of the pause: 8.4-12.8 MiB (HTTP/1.1
 * download), 3.1-5.9 MiB (HTTP/2: nothing queued between client and proxy, the client's window
 * taken), 8.0-9.5 MiB (upload), 94-98 % of it in the kernel's socket queues (autotuned, so it
 * varies); the three processes together held 0.1-0.4 MiB beyond them (the proxy's 256 KiB
 * highWaterMark, a 64 KiB chunk, the app's and the client's own buffers). The proxy's RSS moved
 * -3.4 to +12.9 MiB (garbage of the 4-14 MiB that passed before the stop). A proxy that ignored
 * back-pressure (tried: onData returning true; the request body piped through an unbounded
 * PassThrough) let all 256 MiB through during the pause, 250-255 MiB of it in process memory,
 * RSS +253 to +271 MiB.
 */
/** Sent and unread at the end of the pause; mostly the kernel's, so with room for its autotuning. */
const UNREAD_LIMIT = 24 * MiB
/** Of that, what the client, the proxy and the app hold in memory, beyond the kernel's queues. */
const HELD_LIMIT = 1 * MiB
const RSS_GROWTH_LIMIT = 32 * MiB

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

/**
 * Bytes the kernel holds for connections to or from `ports` (ESTABLISHED rows of /proc/net/tcp and
 * tcp6): each socket's send queue (written, not yet taken by the peer) plus its receive queue
 * (arrived, not yet read). Whatever a pause left unread beyond this sits in some process's memory.
 */
function kernelQueued(ports: readonly number[]): number {
  let queued = 0
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/)
      const local = Number.parseInt(fields[1]!.split(':')[1]!, 16)
      const remote = Number.parseInt(fields[2]!.split(':')[1]!, 16)
      if (fields[3] !== '01' || !(ports.includes(local) || ports.includes(remote))) continue
      const [tx, rx] = fields[4]!.split(':').map((hex) => Number.parseInt(hex, 16))
      queued += tx! + rx!
    }
  }
  return queued
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

/** Bytes the download app has handed to `res.write()` so far, and the upload app's gate. */
interface App {
  readonly url: string
  readonly port: number
  sent: number
  /** Resolves when an upload's head reaches the app. */
  readonly uploadArrived: Promise<void>
  /** Lets the upload app start reading. */
  readonly readUpload: () => void
}

/**
 * The app: GET /download streams TOTAL bytes in 64 KiB chunks as fast as its socket takes them
 * (write's return value and 'drain' respected); POST /upload reads nothing until `readUpload()`,
 * then answers the byte count it read. Anything else answers `ok`.
 */
async function startApp(t: TestContext): Promise<App> {
  let arrived!: () => void
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const server = http.createServer((req, res) => {
    if (req.url === '/download') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL })
      const pump = () => {
        while (app.sent < TOTAL) {
          app.sent += CHUNK.length
          if (!res.write(CHUNK)) return void res.once('drain', pump)
        }
        res.end()
      }
      return pump()
    }
    if (req.url === '/upload') {
      arrived()
      void released.then(() => {
        let received = 0
        req.on('data', (chunk: Buffer) => (received += chunk.length))
        req.on('end', () => res.end(String(received)))
      })
      return
    }
    res.end('ok')
  })
  const { url, port } = await serveOnLoopback(t, server)
  const app: App = {
    url,
    port,
    sent: 0,
    uploadArrived: new Promise((resolve) => (arrived = resolve)),
    readUpload: release,
  }
  return app
}

interface Proxy {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** RSS once started and warmed. */
  readonly baseline: number
}

/** `ory-proxy start <app> --no-jwt -q` on a free port, its upstream pool warmed by one request. */
async function startStreamingProxy(t: TestContext, app: App): Promise<Proxy> {
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '-q'], 'ready')
  const url = `http://127.0.0.1:${port}`
  const client = new Client(url)
  const warm = await client.request({ path: '/warm', method: 'GET' })
  await warm.body.dump()
  await client.close()
  return { url, port, pid: cli.child.pid!, baseline: rssBytes(cli.child.pid!) }
}

interface Pause {
  /** `progress()` when the pause began, halfway through it, and at its end. */
  readonly atStart: number
  readonly midway: number
  readonly atEnd: number
  /** Bytes in the kernel's queues at the end: client ↔ proxy connections, proxy ↔ app ones. */
  readonly clientLeg: number
  readonly appLeg: number
  /** How much the proxy's RSS grew from its baseline, at the end. */
  readonly growth: number
}

/** Waits PAUSE_MS while nobody reads, watching `progress()` (bytes the sender got rid of). */
async function pause(app: App, proxy: Proxy, progress: () => number): Promise<Pause> {
  const atStart = progress()
  await sleep(PAUSE_MS / 2)
  const midway = progress()
  await sleep(PAUSE_MS / 2)
  return {
    atStart,
    midway,
    atEnd: progress(),
    clientLeg: kernelQueued([proxy.port]),
    appLeg: kernelQueued([app.port]),
    growth: rssBytes(proxy.pid) - proxy.baseline,
  }
}

/**
 * Reads `source` (a socket or an HTTP/2 stream) until READ_FIRST bytes of body have come, then
 * pauses it; `bodyBytes` says how many bytes of a chunk are body. `ended` settles with the source.
 */
function readThenPause(source: Readable | net.Socket, bodyBytes: (chunk: Buffer) => number) {
  let received = 0
  const ended = new Promise<void>((resolve, reject) => {
    source.on('end', resolve)
    source.on('error', reject)
  })
  const stoppedReading = new Promise<void>((resolve) => {
    let stopped = false
    source.on('data', (chunk: Buffer) => {
      received += bodyBytes(chunk)
      if (!stopped && received >= READ_FIRST) {
        stopped = true
        source.pause()
        resolve()
      }
    })
  })
  return { ended, stoppedReading, received: () => received }
}

/**
 * Asserts the pause's bounds for `unread` bytes (sent, not yet read by the receiver), with what was
 * measured in the message (and as a test diagnostic).
 */
function assertBounded(t: TestContext, what: string, p: Pause, unread: number): void {
  const held = unread - p.clientLeg - p.appLeg
  const report =
    `${what} ${mib(p.atStart)} when the pause began, ${mib(p.midway)} halfway, ${mib(p.atEnd)} after ${PAUSE_MS} ms; ` +
    `unread ${mib(unread)}: in the kernel's queues ${mib(p.clientLeg)} client ↔ proxy and ${mib(p.appLeg)} proxy ↔ app, ` +
    `in processes ${mib(held)}; proxy RSS grew ${mib(p.growth)}`
  t.diagnostic(report)
  assert.ok(unread < UNREAD_LIMIT, `unread at most ${mib(UNREAD_LIMIT)}: ${report}`)
  assert.ok(held < HELD_LIMIT, `held by processes at most ${mib(HELD_LIMIT)}: ${report}`)
  assert.ok(p.growth < RSS_GROWTH_LIMIT, `proxy RSS growth at most ${mib(RSS_GROWTH_LIMIT)}: ${report}`)
}

test('HTTP/1.1: a client that stops reading a 256 MiB download stops the app within the socket buffers, the proxy holding under 1 MiB; then the whole body arrives', { timeout: 20_000 }, async (t) => {
  const app = await startApp(t)
  const proxy = await startStreamingProxy(t, app)
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port })
  t.after(() => socket.destroy())
  socket.write('GET /download HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')

  let head = ''
  let headBytes = -1
  // Body bytes of each chunk: none until the head's blank line has passed.
  const reading = readThenPause(socket, (data) => {
    if (headBytes !== -1) return data.length
    const before = head.length
    head += data.toString('latin1')
    const at = head.indexOf('\r\n\r\n')
    if (at === -1) return 0
    headBytes = at + 4
    return head.length - Math.max(before, headBytes)
  })
  await reading.stoppedReading
  assert.match(head, /^HTTP\/1\.1 200 /)
  const read = reading.received()
  const p = await pause(app, proxy, () => app.sent)
  assertBounded(t, `client read ${mib(read)}; the app had written`, p, p.atEnd - read)

  socket.resume()
  await reading.ended
  assert.equal(reading.received(), TOTAL)
  assert.equal(app.sent, TOTAL)
})

test('HTTP/2: a stream the client stops reading stops the app through flow control, the proxy holding under 1 MiB; then the whole body arrives', { timeout: 20_000 }, async (t) => {
  const app = await startApp(t)
  const proxy = await startStreamingProxy(t, app)
  const session = await h2Connect(t, proxy.url)
  const stream = session.request({ ':path': '/download' })
  let status = 0
  stream.on('response', (headers) => (status = Number(headers[':status'])))
  const reading = readThenPause(stream, (chunk) => chunk.length)
  await reading.stoppedReading
  assert.equal(status, 200)
  const read = reading.received()
  const p = await pause(app, proxy, () => app.sent)
  assertBounded(t, `client read ${mib(read)}; the app had written`, p, p.atEnd - read)

  stream.resume()
  await reading.ended
  assert.equal(reading.received(), TOTAL)
  assert.equal(app.sent, TOTAL)
})

test('upload: an app that reads nothing stops a 256 MiB upload at the client within the socket buffers; then it reads it all', { timeout: 20_000 }, async (t) => {
  const app = await startApp(t)
  const proxy = await startStreamingProxy(t, app)
  let yielded = 0
  async function* body() {
    for (let n = 0; n < TOTAL / CHUNK.length; n++) {
      yielded += CHUNK.length
      yield CHUNK
    }
  }
  const client = new Client(proxy.url)
  t.after(() => client.destroy())
  // A byte stream reading one chunk ahead (Readable.from's default object mode would read 16 ahead).
  const upload = Readable.from(body(), { objectMode: false, highWaterMark: CHUNK.length })
  const response = client.request({ path: '/upload', method: 'POST', body: upload, headers: { 'content-length': String(TOTAL) } })
  // Awaited below; a failure before that must not also surface as an unhandled rejection.
  response.catch(() => {})
  await app.uploadArrived
  const p = await pause(app, proxy, () => yielded)
  assertBounded(t, 'the app read nothing; the client had sent', p, p.atEnd)

  app.readUpload()
  const answer = await response
  assert.equal(answer.statusCode, 200)
  assert.equal(await answer.body.text(), String(TOTAL))
  assert.equal(yielded, TOTAL)
})
