// The floor: a minimal pass-through proxy, node:http in front of one undici Pool, with no feature
// of ory-proxy (no header rules, no rewrites, no sessions). What our stack costs with nothing on
// top. Plain JavaScript, so no loader runs beside it. Usage (from the bench): node
// reference-proxy.mjs <origin>; reports its port over IPC.
import http from 'node:http'
import { Pool } from 'undici'

const pool = new Pool(process.argv[2], { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 })
// Connection-level fields that undici refuses or that belong to one hop only (RFC 9110 §7.6.1).
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect'])

function endToEnd(headers) {
  const kept = {}
  for (const name in headers) if (!HOP.has(name)) kept[name] = headers[name]
  return kept
}

const server = http.createServer(async (req, res) => {
  // A client gone (before the answer or mid-body) must end the upstream request, or its connection
  // stays taken and the pool runs dry. stream.pipeline would see to it, but cost 134 µs a 1 KiB
  // request here against pipe's 52 µs: no minimal pass-through would pay that.
  let body
  let gone = false
  res.on('close', () => {
    if (res.writableFinished) return
    gone = true
    body?.destroy()
  })
  try {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
    const upstream = await pool.request({
      path: req.url,
      method: req.method,
      headers: endToEnd(req.headers),
      body: hasBody ? req : null,
    })
    body = upstream.body.on('error', () => res.destroy())
    if (gone) return body.destroy()
    res.writeHead(upstream.statusCode, endToEnd(upstream.headers))
    body.pipe(res)
  } catch {
    if (res.headersSent) res.destroy()
    else res.writeHead(502).end()
  }
})

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
process.on('disconnect', () => process.exit(0))
