/**
 * Concurrent callers asking for the same key share one in-flight promise (checklist c8): a cold
 * cache hit by N requests with one cookie makes one whoami call. The key is the cache key, so
 * different credentials never share a flight.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Promise<T>>()

  /** The running flight for `key`, or a new one started with `start`. Failures are not kept. */
  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.#flights.get(key)
    if (running !== undefined) return running
    const flight = start().finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
    })
    this.#flights.set(key, flight)
    return flight
  }

  /** Whether a flight for `key` is running (a caller now would join it). */
  has(key: string): boolean {
    return this.#flights.has(key)
  }

  /** Later callers for `key` start a new flight (after a logout the old answer is stale). */
  forget(key: string): void {
    this.#flights.delete(key)
  }

  get size(): number {
    return this.#flights.size
  }
}
