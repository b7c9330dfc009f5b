import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { decodeJwt } from 'jose'
import { InboundHeaders } from '../../src/server/inbound-headers.js'
import type { OrySessionGate } from '../../src/session/gate.js'
import { startSessionProxy } from '../helpers/session-proxy.js'

const LIFETIME_S = 4
/** One thread signing one token at a time, 8 queued: 9 places, of which renewals beside may take 1 + 4. */
const SIGNER = { threads: 1, tasksPerThread: 1, maxQueue: 8 }

const headersOf = (id: string) => new InboundHeaders(['cookie', `ory_session_x=${id}`], { dropAuthorization: true, dropRateLimit: true })

async function tokenOf(gate: OrySessionGate, id: string): Promise<string> {
  const authorization = await gate.authorize(headersOf(id), `request-${id}`)
  assert.ok(authorization !== undefined, `a token for ${id}`)
  return authorization
}

/** Signs each session's token in turn, starting just after a whole second, so all carry that second's iat. */
async function signWithinOneSecond(gate: OrySessionGate, ids: readonly string[]): Promise<Map<string, string>> {
  await sleep(1000 - (Date.now() % 1000) + 20)
  const tokens = new Map<string, string>()
  for (const id of ids) tokens.set(id, await tokenOf(gate, id))
  return tokens
}

const iatOf = (authorization: string) => decodeJwt(authorization.slice('Bearer '.length)).iat!

test('a burst of renewals beside served tokens leaves the signing pool room for requests that must wait for theirs', async (t) => {
  const { ory, gate } = await startSessionProxy(t, { cacheTtlMs: 60_000, tokenLifetimeS: LIFETIME_S, renewBesideMinMs: 10, signer: SIGNER })
  await gate.ready()
  // A burst only fits the test's window when the timers fire on time: a late one tries again.
  for (let attempt = 1; ; attempt++) {
    const due = Array.from({ length: 40 }, (_, i) => `due-${attempt}-${i}`)
    const expired = Array.from({ length: 4 }, (_, i) => `expired-${attempt}-${i}`)
    for (const id of [...due, ...expired]) ory.addCookieSession('ory_session_x', id, `identity-${id}`)
    // `expired` tokens are signed a second before `due` ones, so they expire a second sooner.
    const expiredTokens = await signWithinOneSecond(gate, expired)
    const dueTokens = await signWithinOneSecond(gate, due)
    const second = iatOf(dueTokens.get(due[0]!)!)
    assert.deepEqual(new Set([...expiredTokens.values()].map(iatOf)), new Set([second - 1]), 'each group signed within its second')
    assert.deepEqual(new Set([...dueTokens.values()].map(iatOf)), new Set([second]), 'each group signed within its second')
    // Every `due` token has passed its renewal point (at most 90 % of its lifetime) and is still
    // valid for more than 10 ms, so it is sent while a successor is signed beside; every `expired`
    // one has expired, so its request waits for a new token.
    await sleep((second + 0.9 * LIFETIME_S) * 1000 + 50 - Date.now())
    if (Date.now() > (second + LIFETIME_S) * 1000 - 60) {
      t.diagnostic(`attempt ${attempt}: the timer fired ${Date.now() - (second + 0.9 * LIFETIME_S) * 1000} ms late`)
      assert.ok(attempt < 3, 'the timers fired on time in one of three attempts')
      continue
    }
    // All at once, as the requests of one busy moment: the due sessions first, then the expired ones.
    const served = due.map((id) => gate.authorize(headersOf(id), `request-${id}`))
    const waited = expired.map((id) => gate.authorize(headersOf(id), `request-${id}`))
    served.forEach((authorization, i) => assert.equal(authorization, dueTokens.get(due[i]!), 'a due token is sent without waiting'))
    const renewed = await Promise.allSettled(waited)
    for (const [i, outcome] of renewed.entries()) {
      assert.equal(outcome.status, 'fulfilled', `${expired[i]} got a token (${outcome.status === 'rejected' ? (outcome.reason as Error).message : ''})`)
      const token = (outcome as PromiseFulfilledResult<string>).value
      assert.ok(decodeJwt(token.slice('Bearer '.length)).exp! * 1000 > Date.now(), 'a valid one')
    }
    // The due sessions whose renewal waited for room get it on a later request.
    for (const id of due) {
      let token = await tokenOf(gate, id)
      for (let requests = 1; token === dueTokens.get(id); requests++) {
        assert.ok(requests < 200, `${id} renewed`)
        await sleep(5)
        token = await tokenOf(gate, id)
      }
    }
    assert.equal(ory.whoamiCalls.length, attempt * 44, 'renewals sign from the cache')
    return
  }
})
