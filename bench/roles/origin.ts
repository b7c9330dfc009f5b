/**
 * Origin role: the app behind the proxy. `/` answers 1 KiB, `/64k` 64 KiB, both with a
 * Content-Length, as a small JSON API or a static asset would. Reports its port over IPC and
 * stops when its parent goes. Answers `{ connections, requests }` (accepted so far) to any IPC
 * message: the bench checks with it that a new-connection load really opens one per request.
 */
import http from 'node:http'
import { serveRole } from '../lib/serve-role.js'

const SMALL = Buffer.alloc(1024, 'a')
const LARGE = Buffer.alloc(64 * 1024, 'b')

let connections = 0
let requests = 0
const server = http.createServer((req, res) => {
  requests++
  const body = req.url === '/64k' ? LARGE : SMALL
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.on('connection', () => void connections++)
process.on('message', () => process.send!({ connections, requests }))
await serveRole(server)
