/** Entries looked at per `set` when sweeping out expired ones; keeps every insert O(1) amortised. */
const SWEEP_PER_SET = 16

/**
 * A Map for records that all live equally long (flows, sessions, error reports): insertion order
 * is expiry order, so expired entries are swept from the front a few at a time, and beyond `max`
 * entries the oldest goes. Memory stays bounded however many anonymous requests create records.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, V>()
  readonly #max: number
  readonly #retainUntil: (value: V) => number

  /** `retainUntil` gives the time (ms) after which an entry is gone for good. */
  constructor(max: number, retainUntil: (value: V) => number) {
    this.#max = max
    this.#retainUntil = retainUntil
  }

  get size(): number {
    return this.#entries.size
  }

  /** The entry, or undefined when absent or past its retention time (then it is dropped). */
  get(key: string, now: number): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    if (this.#retainUntil(value) <= now) {
      this.#entries.delete(key)
      return undefined
    }
    return value
  }

  set(key: string, value: V, now: number): void {
    let swept = 0
    for (const [oldest, entry] of this.#entries) {
      if (swept++ === SWEEP_PER_SET || this.#retainUntil(entry) > now) break
      this.#entries.delete(oldest)
    }
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!)
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  /** Live entries, oldest first (for the rare lookups by another field). */
  *values(now: number): IterableIterator<V> {
    for (const value of this.#entries.values()) if (this.#retainUntil(value) > now) yield value
  }
}
