import { ALONE, type Claim, type SharedSessionLevel } from './shared-level.js'
import type { CachedAnswer } from './cached-answer.js'
import { SessionCache } from './session-cache.js'

type Waiter = (claim: Claim) => void

/** A key some caller is asking Ory about, and who waits for its answer. */
interface Flight {
  readonly lease: string
  readonly waiters: Set<Waiter>
}

/**
 * The shared level kept in one process's memory: the cluster primary holds one for all its
 * workers. Entries in a TTL-LRU as bounded as a worker's own, tokens outside the JS heap as there; a flight per key being asked about,
 * so concurrent claims anywhere make one leader and the rest wait for its `fill`.
 */
export class MemorySessionLevel implements SharedSessionLevel {
  readonly #entries: SessionCache
  readonly #flights = new Map<string, Flight>()
  #leases = 0

  constructor(capacity: number) {
    this.#entries = new SessionCache(capacity)
  }

  claim(key: string, waitMs: number): Promise<Claim> {
    const stored = this.#entries.get(key, Date.now())
    if (stored !== undefined) return Promise.resolve({ kind: 'answer', answer: this.#entries.answerOf(stored) })
    const flight = this.#flights.get(key)
    if (flight === undefined) {
      const lease = String(++this.#leases)
      this.#flights.set(key, { lease, waiters: new Set() })
      return Promise.resolve({ kind: 'lead', lease })
    }
    return new Promise((resolve) => {
      const waiter: Waiter = (claim) => {
        clearTimeout(timer)
        resolve(claim)
      }
      // The leader is slow (Ory is): the waiter's own whoami deadline decides, not this wait.
      const timer = setTimeout(() => {
        flight.waiters.delete(waiter)
        resolve(ALONE)
      }, waitMs)
      flight.waiters.add(waiter)
    })
  }

  peek(key: string): Promise<CachedAnswer | undefined> {
    const stored = this.#entries.get(key, Date.now())
    return Promise.resolve(stored === undefined ? undefined : this.#entries.answerOf(stored))
  }

  fill(key: string, answer: CachedAnswer, lease: string | undefined): void {
    if (lease === undefined) {
      // A renewal replaces a live entry, never brings back one a logout removed meanwhile.
      if (this.#entries.get(key, Date.now()) !== undefined) this.#entries.set(key, answer)
      return
    }
    const flight = this.#flights.get(key)
    // A lease a logout voided: the answer was asked for before the session ended.
    if (flight?.lease !== lease) return
    this.#land(key, flight, { kind: 'answer', answer })
    if (answer.expiresAt > Date.now()) this.#entries.set(key, answer)
  }

  release(key: string, lease: string): void {
    const flight = this.#flights.get(key)
    if (flight?.lease === lease) this.#land(key, flight, ALONE)
  }

  evict(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.#entries.delete(key)
      const flight = this.#flights.get(key)
      if (flight !== undefined) this.#land(key, flight, ALONE)
    }
    return Promise.resolve()
  }

  /** One process has no other hot caches to tell. */
  onEvicted(): void {}

  close(): Promise<void> {
    for (const [key, flight] of this.#flights) this.#land(key, flight, ALONE)
    return Promise.resolve()
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size
  }

  #land(key: string, flight: Flight, claim: Claim): void {
    this.#flights.delete(key)
    for (const waiter of flight.waiters) waiter(claim)
  }
}
