import { CachedAnswer } from './cached-answer.js'
import { TokenSlab } from './token-slab.js'
import { TtlCache } from './ttl-cache.js'

/** Where an entry's token is: no token (a "no session" entry). */
const NO_TOKEN = -1

/**
 * One entry of the gate's hot cache: a {@link CachedAnswer} whose token lives in the cache's
 * {@link TokenSlab} (`slot`, `length`), not on the JS heap.
 */
export class StoredAnswer {
  constructor(
    readonly slot: number,
    readonly length: number,
    readonly renewAt: number,
    readonly expiresAt: number,
    readonly tokenExpiresAt: number,
    readonly renewal: CachedAnswer['renewal'],
  ) {}
}

/**
 * The gate's TTL-LRU of session answers, tokens kept outside the JS heap (token-slab.ts): per
 * cached session about the token's bytes plus 300 bytes of heap (key, LRU slots, this entry), where
 * a token kept as a string cost its bytes again in V8's headroom. The LRU bound and expiry are
 * {@link TtlCache}'s; each token's slot is freed whenever its entry leaves.
 */
export class SessionCache {
  readonly #slab = new TokenSlab()
  readonly #entries: TtlCache<StoredAnswer>

  /** `onEvicted` hears of entries the cache drops by itself (metrics). */
  constructor(capacity: number, onEvicted?: (reason: 'capacity' | 'expired') => void) {
    this.#entries = new TtlCache(capacity, onEvicted, (entry) => {
      if (entry.slot !== NO_TOKEN) this.#slab.release(entry.slot, entry.length)
    })
  }

  /** The live entry for `key` at `now`, or undefined. */
  get(key: string, now: number): StoredAnswer | undefined {
    return this.#entries.get(key, now)
  }

  /** The `Authorization` value an entry holds (undefined: no session); a new string on each call. */
  authorizationOf(entry: StoredAnswer): string | undefined {
    return entry.slot === NO_TOKEN ? undefined : this.#slab.read(entry.slot, entry.length)
  }

  /** The entry as the shared level and renewals take it. */
  answerOf(entry: StoredAnswer): CachedAnswer {
    return new CachedAnswer(this.authorizationOf(entry), entry.renewAt, entry.expiresAt, entry.tokenExpiresAt, entry.renewal)
  }

  /** Stores `answer` under `key` until its `expiresAt`. */
  set(key: string, answer: CachedAnswer): void {
    const token = answer.authorization
    const slot = token === undefined ? NO_TOKEN : this.#slab.store(token)
    this.#entries.set(key, new StoredAnswer(slot, token?.length ?? 0, answer.renewAt, answer.expiresAt, answer.tokenExpiresAt, answer.renewal))
  }

  /** Removes `key`; says whether it was there. */
  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Bytes of the slab's token pages, outside the JS heap (kept once made, freed slots reused): for metrics. */
  get tokenBytes(): number {
    return this.#slab.bytes
  }
}
