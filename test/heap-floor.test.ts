import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { Pool } from 'undici'
import { growingPercentFor, HEAP_FLOOR_BYTES } from '../src/heap-floor.js'
import { BIN, ROOT, cleanEnv } from './helpers/cli.js'
import { freePort } from './helpers/upstream.js'

const MB = 1024 * 1024
// 256 KiB: four upstream reads of 64 KiB each, so the buffers outweigh the rest of a response's
// garbage, as they do at a proxy's full speed with 64 KiB ones (Node 24's external-memory trigger).
const BODY = Buffer.alloc(256 * 1024, 'x')
const SIZE = '256 KiB'
const REQUESTS = 10_000
const CONNECTIONS = 50

test('the growth V8 is given puts the next full collection at the floor while the live heap is under half of it', () => {
  for (const live of [1, 5, 12, 40, 63].map((mb) => mb * MB)) {
    const limit = live * (1 + growingPercentFor(live) / 100)
    assert.ok(limit >= HEAP_FLOOR_BYTES && limit < HEAP_FLOOR_BYTES + live / 50, `${live / MB} MB live: next collection at ${(limit / MB).toFixed(1)} MB`)
  }
  // From half the floor, V8's own growth (1.1-4x) applies: a large live heap never grows 2x more.
  for (const live of [64, 100, 500].map((mb) => mb * MB)) assert.equal(growingPercentFor(live), 0)
})

for (const workers of [1, 2]) {
  test(`\`node bin/run.js start --workers ${workers}\`: ${REQUESTS.toLocaleString('en')} responses of ${SIZE} cost at most 4 full collections (0-1 here; without the floor 44-72; on Node 24 without external memory in the limit 33-37)`, async (t) => {
    const app = http.createServer((_req, res) => res.writeHead(200, { 'content-length': BODY.length }).end(BODY))
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    t.after(() => app.close())
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
    const port = await freePort()
    const preload = new URL('./helpers/count-full-gcs.mjs', import.meta.url).href
    // As users launch it: plain node, no V8 flags.
    const child = spawn(process.execPath, ['--import', preload, BIN, 'start', appUrl, '--sdk-url', appUrl, '--no-jwt', '--port', String(port), '--workers', String(workers), '-q'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    t.after(() => child.kill('SIGKILL'))
    let stderr = ''
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
    await new Promise<void>((resolve, reject) => {
      const onData = () => stderr.includes('ready') && resolve()
      child.stderr.on('data', onData)
      child.once('exit', (code) => reject(new Error(`exited ${code} before its ready line: ${stderr}`)))
    })
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS })
    t.after(() => pool.close())
    // Warm up (JIT, pools, the workers' connections, and in each process the first full
    // collection, which sets the floor) before counting.
    await load(pool, 4_000 * workers)
    // The processes that proxy: the one process, or the workers (not their primary).
    const proxying = (pid: number) => (workers === 1 ? pid === child.pid : pid !== child.pid)
    const before = fullCollections(stderr, proxying)
    await load(pool, REQUESTS)
    const after = fullCollections(stderr, proxying)
    const each = [...after].map(([pid, count]) => count - (before.get(pid) ?? 0))
    const during = each.reduce((sum, count) => sum + count, 0)
    t.diagnostic(`${during} full collections during ${REQUESTS} responses of ${SIZE} (by process: ${each.join(', ') || 'none'})`)
    assert.ok(during <= 4, `${during} full collections during ${REQUESTS} responses of ${SIZE} (by process: ${each.join(', ')})`)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  })
}

/** Full collections so far of each process `counted` accepts, by pid (the preload's `full-gc <pid>` lines). */
function fullCollections(stderr: string, counted: (pid: number) => boolean): Map<number, number> {
  const byPid = new Map<number, number>()
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('full-gc ')) continue
    const pid = Number(line.slice('full-gc '.length))
    if (counted(pid)) byPid.set(pid, (byPid.get(pid) ?? 0) + 1)
  }
  return byPid
}

/** `count` GETs of {@link BODY} over the pool's connections, every body read; bounded by count. */
async function load(pool: Pool, count: number): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next++ < count) {
      const { statusCode, body } = await pool.request({ path: '/', method: 'GET' })
      assert.equal(statusCode, 200)
      let length = 0
      for await (const chunk of body) length += (chunk as Buffer).length
      assert.equal(length, BODY.length)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
}
