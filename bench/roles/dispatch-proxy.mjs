// The floor of our stack for large bodies: node:http in front of one undici Pool driven through
// `dispatch` (no stream objects per response, issue 12's study), with the proxy's own V8 settings
// and 256 KiB client buffers, and no feature of ory-proxy. What the reference pass-through is for
// small responses, this is for 64 KiB and 1 MiB ones. Usage (from the bench): node
// dispatch-proxy.mjs <origin>; reports its port over IPC.
import { endToEnd, hasBody, pool, serve } from './lib/pass-through.mjs'

/** Writes one upstream response to the client, pausing the upstream while the client's buffer is full. */
class PassThrough {
  constructor(res) {
    this.res = res
    this.controller = undefined
    this.gone = false
    res.on('drain', () => this.controller?.resume())
    // A client gone (before the answer or mid-body) ends the upstream request, or its connection stays taken.
    res.on('close', () => {
      if (res.writableFinished) return
      this.gone = true
      this.controller?.abort(new Error('client gone'))
    })
  }
  onRequestStart(controller) {
    this.controller = controller
    if (this.gone) controller.abort(new Error('client gone'))
  }
  onResponseStart(_controller, status, headers) {
    this.res.writeHead(status, endToEnd(headers))
  }
  onResponseData(controller, chunk) {
    if (!this.res.write(chunk)) controller.pause()
  }
  onResponseEnd() {
    this.res.end()
  }
  onResponseError() {
    if (this.res.headersSent) this.res.destroy()
    else this.res.writeHead(502).end()
  }
}

serve({ highWaterMark: 256 * 1024 }, (req, res) => {
  pool.dispatch({ path: req.url, method: req.method, headers: endToEnd(req.headers), body: hasBody(req) ? req : null }, new PassThrough(res))
})
