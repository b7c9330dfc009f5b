/**
 * Protocol figures for the README, against the built CLI as a process (run `npm run build` first),
 * in front of a tiny app on loopback (`--no-jwt`, so only the protocol path is measured):
 * HTTP/1.1 keep-alive (autocannon, 50 connections), HTTP/1.1 with a new connection per request
 * (the cost of the h1/h2c preface check), h2c and h2-over-TLS (one session, 50 concurrent
 * streams), and WebSocket echo round trips through one tunnel. Each phase is bounded in time.
 *
 *   node --import tsx bench/protocols.ts
 */
import http from 'node:http'
import http2 from 'node:http2'
import net, { type AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import { WebSocket, WebSocketServer } from 'ws'
import { percentile, startQuiet } from './lib/cli-process.js'

const SECONDS = 6
const CONCURRENCY = 50

interface Figure {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

/** Runs `workers` loops of `once` for SECONDS and summarises their latencies. */
async function loop(workers: number, once: () => Promise<boolean>): Promise<Figure> {
  const end = performance.now() + SECONDS * 1000
  const latencies: number[] = []
  let errors = 0
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const started = performance.now()
        if (!(await once())) errors++
        latencies.push(performance.now() - started)
      }
    }),
  )
  const at = (p: number) => Math.round(percentile(latencies, p) * 100) / 100
  return { rps: Math.round(latencies.length / SECONDS), p50: at(0.5), p99: at(0.99), errors }
}

function keepAlive(port: number): Promise<Figure> {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: CONCURRENCY, duration: SECONDS }, (error, result) => {
      if (error) return reject(error)
      resolve({ rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx })
    })
  })
}

function newConnections(port: number): Promise<Figure> {
  return loop(20, () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'))
      let head = ''
      socket.on('data', (data: Buffer) => (head ||= data.toString('latin1', 0, 12)))
      socket.on('close', () => resolve(head === 'HTTP/1.1 200'))
      socket.on('error', () => {})
    }),
  )
}

async function multiplexed(url: string, options: http2.SecureClientSessionOptions): Promise<Figure> {
  const session = http2.connect(url, options)
  await new Promise((resolve, reject) => (session.once('connect', resolve), session.once('error', reject)))
  const figure = await loop(CONCURRENCY, () =>
    new Promise((resolve) => {
      const stream = session.request({ ':path': '/' })
      let ok = false
      stream.on('response', (headers) => (ok = headers[':status'] === 200))
      stream.resume()
      stream.on('close', () => resolve(ok))
    }),
  )
  session.close()
  return figure
}

async function websocketEcho(port: number): Promise<Figure> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/hmr`)
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)))
  const figure = await loop(1, () => new Promise((resolve) => (socket.once('message', () => resolve(true)), socket.send('ping'))))
  socket.close()
  return figure
}

const app = http.createServer((_req, res) => res.end('hello world'))
new WebSocketServer({ server: app }).on('connection', (ws) => ws.on('message', (data) => ws.send(data)))
const appUrl = `http://127.0.0.1:${await listen(app)}`
const rows: Array<[string, Figure]> = []

const proxyArgs = [appUrl, '--sdk-url', appUrl, '--no-jwt']
const plain = await startQuiet(proxyArgs)
rows.push(['HTTP/1.1 keep-alive, 50 connections', await keepAlive(plain.port)])
rows.push(['HTTP/1.1, a new connection per request, 20 at a time', await newConnections(plain.port)])
rows.push(['h2c, one session, 50 concurrent streams', await multiplexed(`http://127.0.0.1:${plain.port}`, {})])
rows.push(['WebSocket echo round trip, one tunnel', await websocketEcho(plain.port)])
await plain.stop()

const secure = await startQuiet([...proxyArgs, '--https'])
rows.push(['h2 over TLS, one session, 50 concurrent streams', await multiplexed(`https://127.0.0.1:${secure.port}`, { rejectUnauthorized: false })])
await secure.stop()
app.close()

console.log('| path | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|')
for (const [name, figure] of rows) console.log(`| ${name} | ${figure.rps} | ${figure.p50} | ${figure.p99} | ${figure.errors} |`)
