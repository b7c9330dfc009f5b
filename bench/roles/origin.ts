/**
 * Origin role: the app behind the proxy. `/` answers 1 KiB, `/64k` 64 KiB, both with a
 * Content-Length, as a small JSON API or a static asset would. Reports its port over IPC and
 * stops when its parent goes.
 */
import http from 'node:http'
import { serveRole } from '../lib/serve-role.js'

const SMALL = Buffer.alloc(1024, 'a')
const LARGE = Buffer.alloc(64 * 1024, 'b')

const server = http.createServer((req, res) => {
  const body = req.url === '/64k' ? LARGE : SMALL
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
await serveRole(server)
