import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startTestProxy } from '../helpers/proxy.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'

test('the app closing idle keep-alive sockets while the proxy reuses them costs no 502 (checklist c6)', async (t) => {
  const IDLE_MS = 200
  // An app that keeps connections alive without announcing for how long (no Keep-Alive header)
  // and closes each one after IDLE_MS without a request, so the pool cannot see it coming.
  const idle = new WeakMap<Socket, NodeJS.Timeout>()
  let closedByApp = 0
  const app = await startRawUpstream(t, (socket) => {
    clearTimeout(idle.get(socket))
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    idle.set(
      socket,
      setTimeout(() => {
        closedByApp++
        socket.end()
      }, IDLE_MS),
    )
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  const statuses: number[] = []
  // Four loops, each sending a request every IDLE_MS ± 5 ms: some land just before, some just
  // after the app closes the socket they would reuse.
  await Promise.all(
    Array.from({ length: 4 }, async (_, loop) => {
      for (let i = 0; i < 12; i++) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS - 5 + ((i + loop) % 11)))
        const res = await request(`${proxy.url}/${loop}/${i}`)
        statuses.push(res.statusCode)
        await res.body.dump()
      }
    }),
  )
  assert.ok(closedByApp > 0, 'the app did close idle sockets during the run')
  assert.equal(statuses.length, 48)
  assert.deepEqual(
    statuses.filter((status) => status !== 200),
    [],
  )
})

test('a safe request whose pooled connection the app closed unannounced is sent once more; a POST is not', async (t) => {
  // The race made deterministic: the app answers a GET only as the first request on its
  // connection and drops the connection when a GET arrives on a reused one, as if its keep-alive
  // timer had just fired; it drops every POST unanswered.
  const served = new WeakSet<Socket>()
  let reusedDropped = 0
  let posts = 0
  const app = await startRawUpstream(t, (socket, head) => {
    if (head.startsWith('POST')) {
      posts++
      return void socket.destroy()
    }
    if (served.has(socket)) {
      reusedDropped++
      return void socket.destroy()
    }
    served.add(socket)
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
  })
  const proxy = await startTestProxy(t, app.url, app.url)
  for (let i = 0; i < 3; i++) {
    const res = await request(proxy.url)
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), 'ok')
  }
  // The second GET went out on the pool's one idle connection, which the app dropped.
  assert.ok(reusedDropped >= 1, 'a GET met a dropped connection and was sent again')
  const post = await request(proxy.url, { method: 'POST', body: 'once' })
  await post.body.dump()
  assert.equal(post.statusCode, 502)
  assert.equal(posts, 1, 'a request with a body is never sent twice')
})
