import type { Worker } from 'node:cluster'
import { decodeAnswer, encodeAnswer } from '../session/cached-answer.js'
import type { LevelReply, LevelRequest } from '../session/ipc-level.js'
import { MemorySessionLevel } from '../session/memory-level.js'

/**
 * How long a logout waits for the other workers to drop the session. A live worker answers in
 * well under a millisecond; one that does not (stuck, dying) must not hold the logout for long.
 */
const EVICT_ACK_MS = 1_000

/**
 * The cluster primary's side of the shared session level: one {@link MemorySessionLevel} for all
 * workers, spoken to over IPC. It remembers which worker holds which lease, so a worker that dies
 * while asking Ory does not leave the others waiting, and it carries a logout to every other
 * worker before answering the one that asked.
 */
export class LevelService {
  readonly #level: MemorySessionLevel
  /** Per worker: its leases in flight (lease → key). */
  readonly #leases = new Map<Worker, Map<string, string>>()
  /** Evictions waiting for workers' acknowledgements: id → the workers yet to answer. */
  readonly #acks = new Map<number, { readonly waiting: Set<Worker>; readonly done: () => void }>()
  #nextId = 0

  constructor(capacity: number) {
    this.#level = new MemorySessionLevel(capacity)
  }

  /** Serves `worker`'s level requests from now on. */
  attach(worker: Worker): void {
    this.#leases.set(worker, new Map())
    worker.on('message', (message: LevelRequest) => this.#receive(worker, message))
  }

  /** `worker` is gone: its leases are released and nobody waits for its acknowledgement. */
  detach(worker: Worker): void {
    const leases = this.#leases.get(worker)
    this.#leases.delete(worker)
    for (const [lease, key] of leases ?? []) this.#level.release(key, lease)
    for (const [id, pending] of this.#acks) {
      if (pending.waiting.delete(worker)) this.#maybeDone(id)
    }
  }

  /** Entries in the shared level now. */
  get size(): number {
    return this.#level.size
  }

  close(): Promise<void> {
    for (const pending of this.#acks.values()) pending.done()
    this.#acks.clear()
    return this.#level.close()
  }

  #receive(worker: Worker, message: LevelRequest): void {
    if (message === null || typeof message !== 'object') return
    switch (message.t) {
      case 'level-claim':
        void this.#level.claim(message.key, message.waitMs).then((claim) => {
          if (claim.kind === 'lead') this.#leases.get(worker)?.set(claim.lease, message.key)
          this.#reply(worker, {
            t: 'level-claimed',
            id: message.id,
            kind: claim.kind,
            ...(claim.kind === 'lead' ? { lease: claim.lease } : {}),
            ...(claim.kind === 'answer' ? { answer: encodeAnswer(claim.answer) } : {}),
          })
        })
        return
      case 'level-peek':
        void this.#level.peek(message.key).then((answer) =>
          this.#reply(worker, { t: 'level-peeked', id: message.id, answer: answer && encodeAnswer(answer) }),
        )
        return
      case 'level-fill': {
        if (message.lease !== undefined) this.#leases.get(worker)?.delete(message.lease)
        const answer = decodeAnswer(message.answer)
        if (answer !== undefined) this.#level.fill(message.key, answer, message.lease)
        else if (message.lease !== undefined) this.#level.release(message.key, message.lease)
        return
      }
      case 'level-release':
        this.#leases.get(worker)?.delete(message.lease)
        this.#level.release(message.key, message.lease)
        return
      case 'level-evict':
        void this.#level.evict(message.keys).then(() =>
          this.#broadcastEviction(worker, message.keys, () => this.#reply(worker, { t: 'level-evicted-all', id: message.id })),
        )
        return
      case 'level-evicted-here': {
        const pending = this.#acks.get(message.id)
        if (pending?.waiting.delete(worker)) this.#maybeDone(message.id)
        return
      }
    }
  }

  /** Tells every worker but `from` to drop `keys`; `done` once all said so, or after the bound. */
  #broadcastEviction(from: Worker, keys: readonly string[], done: () => void): void {
    const id = ++this.#nextId
    const waiting = new Set<Worker>()
    for (const worker of this.#leases.keys()) {
      if (worker !== from && worker.isConnected()) waiting.add(worker)
    }
    const timer = setTimeout(() => {
      this.#acks.delete(id)
      done()
    }, EVICT_ACK_MS)
    this.#acks.set(id, {
      waiting,
      done: () => {
        clearTimeout(timer)
        done()
      },
    })
    for (const worker of waiting) this.#reply(worker, { t: 'level-evicted', id, keys })
    this.#maybeDone(id)
  }

  #maybeDone(id: number): void {
    const pending = this.#acks.get(id)
    if (pending === undefined || pending.waiting.size > 0) return
    this.#acks.delete(id)
    pending.done()
  }

  #reply(worker: Worker, message: LevelReply): void {
    if (!worker.isConnected()) return
    try {
      worker.send(message)
    } catch {
      // The worker is going away; its exit detaches it.
    }
  }
}
