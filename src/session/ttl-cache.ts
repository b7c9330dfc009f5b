import { createRequire } from 'node:module'
import type { LRUCacheWithDelete } from 'mnemonist'

// mnemonist's ESM entry evaluates every structure it has (about 150 ms here, most of JWT mode's
// start-up cost); its exports map opens single files to `require` only (7 ms).
const LRU = createRequire(import.meta.url)('mnemonist/lru-cache-with-delete') as typeof LRUCacheWithDelete

/** What a cached value must carry: the time (ms since the epoch) after which it is gone. */
export interface Expiring {
  readonly expiresAt: number
}

/**
 * A bounded LRU with per-entry expiry. mnemonist has no TTL of its own, so the expiry rides on the
 * value (no wrapper object per entry) and an expired entry is removed when it is read. The LRU
 * bound keeps memory flat however many credentials are seen (checklist d2).
 */
export class TtlCache<V extends Expiring> {
  readonly #lru: LRUCacheWithDelete<string, V>
  readonly #onEvicted: ((reason: 'capacity' | 'expired') => void) | undefined
  readonly #onRemoved: ((value: V) => void) | undefined

  /**
   * `onEvicted` hears of entries the cache drops by itself (for the metrics); `onRemoved` gets
   * every value that leaves, however (expired, pushed out, replaced, deleted), to free what it holds.
   */
  constructor(capacity: number, onEvicted?: (reason: 'capacity' | 'expired') => void, onRemoved?: (value: V) => void) {
    this.#lru = new LRU<string, V>(capacity)
    this.#onEvicted = onEvicted
    this.#onRemoved = onRemoved
  }

  /** The live value for `key` at `now`, or undefined (an expired one is dropped). */
  get(key: string, now: number): V | undefined {
    const value = this.#lru.get(key)
    if (value === undefined) return undefined
    if (value.expiresAt > now) return value
    this.#lru.delete(key)
    this.#onRemoved?.(value)
    this.#onEvicted?.('expired')
    return undefined
  }

  /** Stores `value` until its `expiresAt`; the least recently used entry goes when full. */
  set(key: string, value: V): void {
    // A new key in a full cache pushes the least recently used one out; a known key's value is replaced.
    const out = this.#lru.setpop(key, value)
    if (out === null) return
    this.#onRemoved?.(out.value)
    if (out.evicted) this.#onEvicted?.('capacity')
  }

  /** Removes `key`; says whether it was there. */
  delete(key: string): boolean {
    const value = this.#lru.remove(key, undefined)
    if (value === undefined) return false
    this.#onRemoved?.(value)
    return true
  }

  get size(): number {
    return this.#lru.size
  }
}
