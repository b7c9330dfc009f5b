import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

/** One request as the upstream server saw it. */
export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly rawHeaders: readonly string[]
  /** Lower-cased header name → every value sent under it, in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>
  readonly body: Buffer
}

export type Responder = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void

export interface Upstream {
  readonly url: string
  readonly port: number
  readonly server: http.Server
  /** Every request received, in arrival order. */
  readonly requests: SeenRequest[]
  /** Replaces how the server answers (default: echo as JSON). */
  respond(responder: Responder): void
  close(): Promise<void>
}

/** Groups a raw header list by lower-cased name, keeping duplicates. */
export function groupHeaders(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (let i = 0; i < raw.length; i += 2) (out[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!)
  return out
}

/** Answers with what it received as JSON: method, url, rawHeaders, body length. */
export const echo: Responder = (_req, res, seen) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ method: seen.method, url: seen.url, rawHeaders: seen.rawHeaders, bodyLength: seen.body.length }))
}

/**
 * A real HTTP server on 127.0.0.1:0 that records every request (body read fully) and answers with
 * the current responder. Closed automatically after the test.
 */
export async function startUpstream(t: TestContext, responder: Responder = echo): Promise<Upstream> {
  let current = responder
  const requests: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method!,
        url: req.url!,
        rawHeaders: req.rawHeaders,
        headers: groupHeaders(req.rawHeaders),
        body: Buffer.concat(chunks),
      }
      requests.push(seen)
      current(req, res, seen)
    })
    req.on('error', () => {})
  })
  const { url, port, close } = await serveOnLoopback(t, server)
  return {
    url,
    port,
    server,
    requests,
    respond: (next) => {
      current = next
    },
    close,
  }
}

/**
 * Listens on 127.0.0.1:0 and registers the close (open connections cut) right away, for every
 * test server.
 */
export async function serveOnLoopback(
  t: TestContext,
  server: http.Server,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  t.after(close)
  return { url: `http://127.0.0.1:${port}`, port, close }
}

/**
 * Makes `app` answer every request with exactly `bytes` written on its socket, then closed: for
 * responses Node's server refuses to write (hop-by-hop headers, bad framing).
 */
export function answerRaw(app: Upstream, bytes: string): void {
  app.server.removeAllListeners('request')
  app.server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.socket!.end(bytes))
}

export interface HeldResponder {
  /** Holds each request: answers `finished` once `release()` is called. */
  readonly responder: Responder
  /** Resolves when the first request has reached the app. */
  readonly arrived: Promise<void>
  readonly release: () => void
}

/** A responder for in-flight tests: the request reaches the app and waits there until released. */
export function heldResponder(): HeldResponder {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  return {
    responder: (_req, res) => {
      arrive()
      void released.then(() => res.end('finished'))
    },
    arrived,
    release,
  }
}

/**
 * A port that was free a moment ago (for black-box CLI runs that need a fixed --port). Drawn at
 * random below the kernel's ephemeral range (Linux 32768–60999, macOS 49152–65535): a port from
 * listen(0) can be handed to another test's listen(0) or outgoing connection before the CLI binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FIXED_PORTS_FROM + Math.floor(Math.random() * FIXED_PORTS_COUNT)
    if (handedOut.has(port)) continue
    if (await canListen(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error('no free port found below the ephemeral range')
}

const FIXED_PORTS_FROM = 20_000
const FIXED_PORTS_COUNT = 12_000
const handedOut = new Set<number>()

function canListen(port: number): Promise<boolean> {
  const server = http.createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

export interface BodyWatchingApp {
  readonly url: string
  /** Resolves when a request's head reaches the app. */
  readonly arrived: Promise<void>
  /** Resolves when that request's body is aborted; a complete body fails the test instead. */
  readonly aborted: Promise<void>
}

/**
 * An app that never answers and expects the request body it receives to be cut off: for tests
 * asserting that a broken or stalled client body is aborted upstream, never delivered as complete.
 */
export async function startBodyWatchingApp(t: TestContext): Promise<BodyWatchingApp> {
  const app = await startUpstream(t)
  let arrived!: () => void
  let aborted!: () => void
  const watching: BodyWatchingApp = {
    url: app.url,
    arrived: new Promise<void>((resolve) => (arrived = resolve)),
    aborted: new Promise<void>((resolve) => (aborted = resolve)),
  }
  app.server.removeAllListeners('request')
  app.server.on('request', (req: http.IncomingMessage) => {
    arrived()
    req.on('data', () => {})
    req.on('end', () => assert.fail('the app must not see a complete body'))
    req.on('aborted', () => aborted())
    req.on('error', () => aborted())
  })
  return watching
}
