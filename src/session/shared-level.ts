import type { CachedAnswer } from './cached-answer.js'

/**
 * What the shared level says about a key a worker just missed in its hot cache:
 * - `answer`: another worker or proxy has it (or filled it while this one waited);
 * - `lead`: nobody is asking Ory for it: this caller asks, then `fill`s (or `release`s) with `lease`;
 * - `alone`: the level cannot coordinate now (unreachable, or the wait ran out): ask Ory directly.
 */
export type Claim =
  | { readonly kind: 'answer'; readonly answer: CachedAnswer }
  | { readonly kind: 'lead'; readonly lease: string }
  | { readonly kind: 'alone' }

export const ALONE: Claim = Object.freeze({ kind: 'alone' })

/**
 * The second level of the session cache, shared by every worker of a proxy (the cluster primary
 * keeps it) or by several proxies (Redis). Each worker's gate keeps its hot TTL-LRU in front and
 * never knows which implementation answers. The level is a cache, never the source of truth:
 * none of its methods rejects, and a level that cannot answer says `alone` or nothing.
 */
export interface SharedSessionLevel {
  /**
   * The entry for `key`, or the right to fill it. Concurrent claims for one key anywhere make one
   * leader; the others wait (at most `waitMs`) for its answer.
   */
  claim(key: string, waitMs: number): Promise<Claim>
  /** The entry for `key` if there is one; nobody is made to wait or lead (token renewals). */
  peek(key: string): Promise<CachedAnswer | undefined>
  /** Stores `answer` until its `expiresAt`; with the leader's `lease`, its waiters get it too. */
  fill(key: string, answer: CachedAnswer, lease: string | undefined): void
  /** The leader got no answer (Ory failed): its waiters stop waiting and ask Ory themselves. */
  release(key: string, lease: string): void
  /**
   * A logout: drops the entries of `keys` here and in every other worker's or proxy's hot cache,
   * and voids leases in flight for them. Resolves once the others have dropped theirs, or after a
   * short bound when one does not answer; never rejects.
   */
  evict(keys: readonly string[]): Promise<void>
  /** Registers the gate's hook for evictions made elsewhere (set once, by the gate). */
  onEvicted(listener: (keys: readonly string[]) => void): void
  close(): Promise<void>
}
