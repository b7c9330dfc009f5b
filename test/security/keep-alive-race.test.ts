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
