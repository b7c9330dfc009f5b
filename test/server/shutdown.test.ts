import assert from 'node:assert/strict'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, request } from 'undici'
import { spawnCli, tlsArgs, waitForStderr, type RunningCli } from '../helpers/cli.js'
import { h2Connect, h2Request } from '../helpers/h2.js'
import { startTestProxy, type TestProxy } from '../helpers/proxy.js'
import { openConnection, probePort } from '../helpers/raw.js'
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

test('an idle proxy exits within 1 s of SIGTERM, whatever connections clients left open or closed', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt'], 'To access')
  const url = `http://127.0.0.1:${port}`
  await probePort(port)
  await openConnection(t, port)
  await openConnection(t, port, 'PRI * HTTP/2.0\r\n')
  // Connections are accepted in order: once these requests are answered, the ones above are in.
  await finishedRequest(t, new Client(url))
  const session = await h2Connect(t, url)
  assert.equal((await h2Request(session, { ':path': '/', ':authority': 'localhost' })).status, 200)
  await exitsWithin(cli, 1000)
})

test('an idle HTTPS proxy exits within 1 s of SIGTERM too: silent TCP, silent TLS, keep-alive, h2 session', async (t) => {
  const app = await startUpstream(t)
  const port = await freePort()
  const { cert, args } = tlsArgs(t)
  const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--port', String(port), '--no-jwt', ...args], 'To access')
  const url = `https://127.0.0.1:${port}`
  await probePort(port)
  await openConnection(t, port)
  await openConnection(t, port, undefined, { ca: cert, alpn: 'http/1.1' })
  await openConnection(t, port, undefined, { ca: cert, alpn: 'h2' })
  await finishedRequest(t, new Client(url, { connect: { ca: cert, servername: 'localhost' } }))
  const session = await h2Connect(t, url, cert)
  assert.equal((await h2Request(session, { ':path': '/', ':authority': 'localhost' })).status, 200)
  await exitsWithin(cli, 1000)
})

/** One request on `client`, answered; its keep-alive connection is left open (destroyed after the test). */
async function finishedRequest(t: TestContext, client: Client): Promise<void> {
  t.after(() => client.destroy())
  const res = await client.request({ path: '/', method: 'GET' })
  await res.body.text()
  assert.equal(res.statusCode, 200)
}

/** Sends SIGTERM and checks the CLI exits with 0 within `limitMs`. */
async function exitsWithin(cli: RunningCli, limitMs: number): Promise<void> {
  const started = performance.now()
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  const took = Math.round(performance.now() - started)
  assert.ok(took < limitMs, `exited ${took} ms after SIGTERM`)
}

test('close() is bounded: a request that never finishes is cut after the shutdown deadline', async (t) => {
  const outcome = await closeWhileHung(t, (proxy) =>
    request(proxy.url).then(
      (res) => res.statusCode,
      (error: Error) => error.constructor.name,
    ),
  )
  assert.notEqual(outcome, 200)
})

test('close() is bounded over HTTP/2 too: the hung stream is cut and its session destroyed', async (t) => {
  let sessionClosed: Promise<void> | undefined
  const outcome = await closeWhileHung(t, async (proxy) => {
    const session = await h2Connect(t, proxy.url)
    sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()))
    return h2Request(session, { ':path': '/hung', ':authority': 'localhost' }).then(
      (res) => res.status,
      (error: Error) => error.constructor.name,
    )
  })
  assert.notEqual(outcome, 200)
  await sessionClosed
})

/**
 * Sends a request (`send`) through a proxy with a 300 ms shutdown deadline to an app that never
 * answers, closes the proxy once the app has it, checks close() kept to the deadline, and
 * resolves with what the client got.
 */
async function closeWhileHung(t: TestContext, send: (proxy: TestProxy) => Promise<number | string>): Promise<number | string> {
  const held = heldResponder()
  const app = await startUpstream(t, held.responder)
  const proxy = await startTestProxy(t, app.url, app.url, { timeouts: { shutdownMs: 300 } })
  const outcome = send(proxy)
  await held.arrived
  const started = Date.now()
  await proxy.close()
  const took = Date.now() - started
  assert.ok(took >= 250 && took < 3000, `close took ${took} ms`)
  return outcome
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('connect', () => (socket.destroy(), resolve(false)))
    socket.on('error', () => resolve(true))
  })
}
