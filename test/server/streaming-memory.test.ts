import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { request } from 'undici'
import { spawnCli } from '../helpers/cli.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const TOTAL = 1024 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')
/**
 * The proxy may grow this much while 2 × 1 GiB pass through it; buffering either body would take
 * 1 GiB. What grows is chunk garbage V8 lets pile up before a full collection, not data held, and
 * the heap floor (src/heap-floor.ts: 128 MiB) bounds it, whatever the transfer size: 50-65 MiB on
 * Node 20 (young collections free the buffers), 134-162 MiB on Node 24, where the buffers count
 * against the floor's limit (the same for 512 MiB and 1 GiB). test/server/backpressure.test.ts
 * holds the proxy to a tighter bound while a reader is paused.
 */
const GROWTH_LIMIT = 256 * 1024 * 1024

function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1])
}

async function* generate(total: number) {
  for (let sent = 0; sent < total; sent += CHUNK.length) yield CHUNK
}

test('a 1 GiB upload and a 1 GiB download stream through with the proxy’s memory flat', async (t) => {
  const app = await startUpstream(t)
  // Replace the recording server's handler: this app streams rather than buffering.
  app.server.removeAllListeners('request')
  app.server.on('request', (req, res) => {
    if (req.method === 'POST') {
      let received = 0
      req.on('data', (chunk: Buffer) => (received += chunk.length))
      req.on('end', () => res.end(String(received)))
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL })
    let sent = 0
    const pump = () => {
      while (sent < TOTAL) {
        sent += CHUNK.length
        if (!res.write(CHUNK)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  })
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', '-q'], 'ready')
  const pid = cli.child.pid!
  // Warm up the pools so the baseline includes them.
  await (await request(`http://127.0.0.1:${port}/warm`, { method: 'POST', body: 'x' })).body.dump()
  const baseline = memoryKiB(pid, 'VmRSS') * 1024

  const upload = await request(`http://127.0.0.1:${port}/upload`, {
    method: 'POST',
    body: Readable.from(generate(TOTAL)),
    headers: { 'content-length': String(TOTAL) },
  })
  assert.equal(await upload.body.text(), String(TOTAL))

  const download = await request(`http://127.0.0.1:${port}/download`)
  let received = 0
  for await (const chunk of download.body) received += (chunk as Buffer).length
  assert.equal(received, TOTAL)

  const peak = memoryKiB(pid, 'VmHWM') * 1024
  t.diagnostic(`proxy RSS grew ${((peak - baseline) / 1048576).toFixed(1)} MiB`)
  assert.ok(
    peak - baseline < GROWTH_LIMIT,
    `proxy RSS grew ${((peak - baseline) / 1048576).toFixed(1)} MiB while 1 GiB passed through each way`,
  )
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})
