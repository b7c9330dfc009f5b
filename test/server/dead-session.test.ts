import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import tls from 'node:tls'
import { debugEvents, spawnCli, tlsArgs, type RunningCli } from '../helpers/cli.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import {
  DATA,
  DEFAULT_MAX_FRAME_SIZE,
  END_HEADERS,
  END_STREAM,
  FRAME_SIZE_ERROR,
  GOAWAY,
  H2_PREFACE,
  h2Frame,
  HEADERS,
  literalHeaderBlock,
  PING,
  readFrames,
  SETTINGS,
} from '../helpers/h2-frames.js'
import { startTestProxy } from '../helpers/proxy.js'
import { until } from '../helpers/until.js'
import { freePort, serveOnLoopback } from '../helpers/upstream.js'

/** What the app saw of one request: its arrival, and when (performance.now()) it was aborted. */
interface Watched {
  readonly arrived: Promise<void>
  abortedAt: number | undefined
}

interface UploadApp {
  readonly url: string
  /** Starts recording the request for `path`. */
  watch(path: string): Watched
}

/** A real node:http app that answers every complete body with 200 and records the requests it is told to watch. */
async function startUploadApp(t: TestContext): Promise<UploadApp> {
  const watched = new Map<string, { seen: Watched; arrive: () => void }>()
  const server = http.createServer((req, res) => {
    const watcher = watched.get(req.url!)
    const abort = () => {
      if (watcher !== undefined) watcher.seen.abortedAt ??= performance.now()
    }
    watcher?.arrive()
    req.on('aborted', abort)
    req.on('error', abort)
    req.on('end', () => res.end('ok'))
    req.resume()
  })
  const { url } = await serveOnLoopback(t, server)
  return {
    url,
    watch: (path) => {
      let arrive!: () => void
      const seen: Watched = { arrived: new Promise<void>((resolve) => (arrive = resolve)), abortedAt: undefined }
      watched.set(path, { seen, arrive })
      return seen
    },
  }
}

/** How long after `teardown` the app saw `seen` aborted; fails when that takes over 5 s. */
async function abortedAfter(seen: Watched, teardown: number): Promise<number> {
  await until(() => seen.abortedAt !== undefined, "the app's request to be aborted")
  return seen.abortedAt! - teardown
}

/**
 * On a fresh raw HTTP/2 `connection`, POSTs to `path` with the first 100 bytes of a body, then,
 * once the app has the request, sends a DATA frame above SETTINGS_MAX_FRAME_SIZE: nghttp2 ends
 * the session with GOAWAY FRAME_SIZE_ERROR (h2spec 4.2), and the client closes. Resolves with how
 * long after that teardown the app's request was aborted.
 */
async function dieMidBody(connection: RawConnection, scheme: string, path: string, app: UploadApp): Promise<number> {
  const seen = app.watch(path)
  const head = literalHeaderBlock({ ':method': 'POST', ':scheme': scheme, ':authority': 'localhost', ':path': path })
  connection.socket.write(
    Buffer.concat([
      H2_PREFACE,
      h2Frame(SETTINGS, 0, 0),
      h2Frame(HEADERS, END_HEADERS, 1, head),
      h2Frame(DATA, 0, 1, Buffer.alloc(100, 'a')),
    ]),
  )
  await seen.arrived
  connection.socket.write(h2Frame(DATA, 0, 1, Buffer.alloc(DEFAULT_MAX_FRAME_SIZE + 1, 'b')))
  const teardown = await connection.closeAfterGoaway()
  return abortedAfter(seen, teardown)
}

/** The same over HTTP/1.1: the client's socket is destroyed 100 bytes into a 1 MB body. */
async function destroyMidBody(port: number, path: string, app: UploadApp): Promise<number> {
  const seen = app.watch(path)
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n${'a'.repeat(100)}`)
  await seen.arrived
  const teardown = performance.now()
  socket.destroy()
  return abortedAfter(seen, teardown)
}

interface RawConnection {
  readonly socket: net.Socket
  /**
   * Waits for the server's GOAWAY (checking it says FRAME_SIZE_ERROR), then closes the connection
   * as the client would; resolves with performance.now() at that teardown.
   */
  closeAfterGoaway(): Promise<number>
}

/** A raw connection to the proxy that records what it is sent, destroyed after the test. */
function rawConnection(t: TestContext, socket: net.Socket): RawConnection {
  t.after(() => socket.destroy())
  let received = Buffer.alloc(0)
  socket.on('data', (data: Buffer) => (received = Buffer.concat([received, data])))
  socket.on('error', () => {})
  const goaway = () => readFrames(received).find((frame) => frame.type === GOAWAY)
  return {
    socket,
    closeAfterGoaway: async () => {
      await until(() => goaway() !== undefined, 'GOAWAY')
      assert.equal(goaway()!.payload.readUInt32BE(4), FRAME_SIZE_ERROR)
      socket.end()
      return performance.now()
    },
  }
}

/** Stops the CLI and returns its `--debug` request lines for `path`. */
async function requestLines(cli: RunningCli, path: string): Promise<Array<Record<string, unknown>>> {
  if (cli.child.exitCode === null) {
    cli.child.kill('SIGTERM')
    assert.equal(await cli.exited, 0)
  }
  return debugEvents(cli.stderr).filter((line) => line.event === 'request' && line.path === path)
}

/** One `--debug` line for `path`, saying the client aborted (499: nothing was sent), and no warning at all. */
async function assertClientAbort(cli: RunningCli, path: string): Promise<void> {
  const lines = await requestLines(cli, path)
  assert.equal(lines.length, 1, `one --debug line for ${path}: ${JSON.stringify(lines)}`)
  assert.equal(lines[0]!.status, 499)
  assert.equal(lines[0]!.upstream_ms, null)
  assert.doesNotMatch(cli.stderr, /warning/)
}

test('h2c: a client whose session dies mid-body (FRAME_SIZE_ERROR) has its upstream request aborted at once, logged once as a client abort; HTTP/1.1 too', async (t) => {
  const app = await startUploadApp(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '--debug'], 'To access')
  // The app connection the request goes out on is kept alive from this one.
  const session = await h2Connect(t, `http://127.0.0.1:${port}`)
  const first = await h2Request(session, { ':method': 'POST', ':path': '/first', ':authority': 'localhost' }, Buffer.alloc(16_384))
  assert.equal(first.status, 200)

  const h2 = await dieMidBody(rawConnection(t, net.connect(port, '127.0.0.1')), 'http', '/upload-h2c', app)
  assert.ok(h2 < 1000, `h2c: the app's request was aborted ${Math.round(h2)} ms after the client's teardown`)
  const h1 = await destroyMidBody(port, '/upload-h1', app)
  assert.ok(h1 < 1000, `HTTP/1.1: the app's request was aborted ${Math.round(h1)} ms after the client's teardown`)
  await assertClientAbort(cli, '/upload-h2c')
  await assertClientAbort(cli, '/upload-h1')
})

test('h2 over TLS: a client whose session dies mid-body has its upstream request aborted at once, logged once as a client abort', async (t) => {
  const app = await startUploadApp(t)
  const port = await freePort()
  const { cert, args } = tlsArgs(t)
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '--debug', ...args], 'To access')
  const session = await h2Connect(t, `https://127.0.0.1:${port}`, cert)
  const first = await h2Request(session, { ':method': 'POST', ':path': '/first', ':authority': 'localhost' }, Buffer.alloc(16_384))
  assert.equal(first.status, 200)

  const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost', ALPNProtocols: ['h2'] })
  const connection = rawConnection(t, socket)
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()))
  const h2 = await dieMidBody(connection, 'https', '/upload-h2', app)
  assert.ok(h2 < 1000, `h2: the app's request was aborted ${Math.round(h2)} ms after the client's teardown`)
  await assertClientAbort(cli, '/upload-h2')
})

test('h2c: a request waiting on the app is aborted once its dead session has been idle for the keep-alive timeout', async (t) => {
  let arrive!: () => void
  const seen: Watched = { arrived: new Promise<void>((resolve) => (arrive = resolve)), abortedAt: undefined }
  // Never answers; records when the proxy gives up on the request.
  const app = http.createServer((_req, res) => {
    arrive()
    res.on('close', () => (seen.abortedAt = performance.now()))
  })
  const { url } = await serveOnLoopback(t, app)
  const proxy = await startTestProxy(t, url, url, { timeouts: { keepAliveMs: 300 } })
  const connection = rawConnection(t, net.connect(proxy.port, '127.0.0.1'))
  const head = literalHeaderBlock({ ':method': 'GET', ':scheme': 'http', ':authority': 'localhost', ':path': '/slow' })
  connection.socket.write(Buffer.concat([H2_PREFACE, h2Frame(SETTINGS, 0, 0), h2Frame(HEADERS, END_HEADERS | END_STREAM, 1, head)]))
  await seen.arrived
  connection.socket.write(h2Frame(PING, 0, 0, Buffer.alloc(DEFAULT_MAX_FRAME_SIZE + 1)))
  const took = await abortedAfter(seen, await connection.closeAfterGoaway())
  assert.ok(took < 1500, `the app's request was aborted ${Math.round(took)} ms after the client's teardown`)
})
