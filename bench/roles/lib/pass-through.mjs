// What the bench's two minimal Node pass-throughs share: the upstream pool and the headers that go
// through. Plain JavaScript, like them (no loader runs beside them).
import http from 'node:http'
import { Pool } from 'undici'
import { keepHeapFloor } from '../../../dist/heap-floor.js'

// The same heap settings as ory-proxy's (src/heap-floor.ts, from the build the bench runs): the same stack's floor.
keepHeapFloor()

/** One undici Pool to the origin named on the command line, sized like ory-proxy's. */
export const pool = new Pool(process.argv[2], { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 })

// Connection-level fields that undici refuses or that belong to one hop only (RFC 9110 §7.6.1).
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect'])

/** `headers` without the hop-by-hop fields. */
export function endToEnd(headers) {
  const kept = {}
  for (const name in headers) if (!HOP.has(name)) kept[name] = headers[name]
  return kept
}

/** Whether a request carries a body to forward. */
export const hasBody = (req) => req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined

/** Serves `handler` on a free loopback port, reports it over IPC and stops with the bench. */
export function serve(options, handler) {
  const server = http.createServer(options, handler)
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
  process.on('disconnect', () => process.exit(0))
}
