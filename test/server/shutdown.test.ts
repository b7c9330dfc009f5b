import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { spawnCli, waitForStderr } from '../helpers/cli.js'
import { startTestProxy } from '../helpers/proxy.js'
import { freePort, heldResponder, startUpstream } from '../helpers/upstream.js'

test('SIGTERM lets an in-flight request finish, stops accepting, and exits 0', async (t) => {
  const held = heldResponder()
  const app = await startUpstream(t, held.responder)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt'], 'To access')
  const inFlight = request(`http://127.0.0.1:${port}/slow`)
  await held.arrived
  cli.child.kill('SIGTERM')
  await waitForStderr(cli, 'finishing in-flight requests')
  // The listener closes right after that line is written (the child may not have run on yet):
  // within a bounded wait, a new connection is refused while the held request is still open.
  let refused = false
  for (let attempt = 0; attempt < 40 && !refused; attempt++) {
    refused = await connectionRefused(port)
    if (!refused) await sleep(50)
  }
  assert.equal(refused, true, 'the port still accepts connections 2 s after SIGTERM')
  held.release()
  const res = await inFlight
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), 'finished')
  assert.equal(await cli.exited, 0)
})

test('close() is bounded: a request that never finishes is cut after the shutdown deadline', async (t) => {
  let arrived!: () => void
  const arrivedAtApp = new Promise<void>((resolve) => (arrived = resolve))
  const app = await startUpstream(t, () => arrived())
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { shutdownMs: 300 } })
  const hung = request(proxy.url).then(
    (res) => res.statusCode,
    (error: Error) => error.constructor.name,
  )
  await arrivedAtApp
  const started = Date.now()
  await proxy.close()
  const took = Date.now() - started
  assert.ok(took >= 250 && took < 3000, `close took ${took} ms`)
  assert.notEqual(await hung, 200)
})

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('connect', () => (socket.destroy(), resolve(false)))
    socket.on('error', () => resolve(true))
  })
}
