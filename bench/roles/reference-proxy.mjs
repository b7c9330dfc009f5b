// The floor: a minimal pass-through proxy, node:http in front of one undici Pool, with no feature
// of ory-proxy (no header rules, no rewrites, no sessions). What our stack costs with nothing on
// top. Plain JavaScript, so no loader runs beside it. Usage (from the bench): node
// reference-proxy.mjs <origin> [<token bytes>]; reports its port over IPC. Given a size, every
// request also gets an `Authorization: Bearer` of that many bytes, as ory-proxy's JWT path sends
// the app: the floor of what carrying a token costs the proxy, the app and the machine.
import { endToEnd, hasBody, pool, serve } from './lib/pass-through.mjs'

const authorization = process.argv[3] === undefined ? undefined : `Bearer ${'t'.repeat(Number(process.argv[3]))}`

serve({}, async (req, res) => {
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
    const upstream = await pool.request({
      path: req.url,
      method: req.method,
      headers: authorization === undefined ? endToEnd(req.headers) : { ...endToEnd(req.headers), authorization },
      body: hasBody(req) ? req : null,
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
