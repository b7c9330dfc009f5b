/**
 * Origin role: the app behind the proxy. `/` answers 1 KiB, `/64k` 64 KiB, `/1m` 1 MiB, all with a
 * Content-Length, as a small JSON API, a script bundle or an image would. Reports its port over IPC
 * and stops when its parent goes. Answers `{ connections, requests, authorizationBytes }` (accepted
 * so far, and the length of the last `Authorization` value it was sent) to any IPC message: the
 * bench checks with it that a new-connection load really opens one per request, and learns how
 * large the proxy's tokens are.
 */
import http from 'node:http'
import { serveRole } from '../lib/serve-role.js'

const BODIES: Readonly<Record<string, Buffer>> = {
  '/64k': Buffer.alloc(64 * 1024, 'b'),
  '/1m': Buffer.alloc(1024 * 1024, 'c'),
}
const SMALL = Buffer.alloc(1024, 'a')

let connections = 0
let requests = 0
let authorizationBytes = 0
const server = http.createServer((req, res) => {
  requests++
  const authorization = req.headers.authorization
  if (authorization !== undefined) authorizationBytes = Buffer.byteLength(authorization)
  const body = BODIES[req.url!] ?? SMALL
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.on('connection', () => void connections++)
process.on('message', () => process.send!({ connections, requests, authorizationBytes }))
await serveRole(server)
