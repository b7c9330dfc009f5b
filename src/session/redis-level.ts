import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import { decodeAnswer, encodeAnswer, type CachedAnswer } from './cached-answer.js'
import { ALONE, type Claim, type SharedSessionLevel } from './shared-level.js'

/**
 * A lock outlives the claim's wait by this much: the leader's whoami has the same deadline as the
 * wait, then it signs. A leader that died leaves its lock for at most this long after that.
 */
const LOCK_MARGIN_MS = 1_000
/** How long a logout waits for the other proxies to say they dropped the session. */
const EVICT_ACK_MS = 1_000

/**
 * A claim after a GET found nothing, atomically: the entry if it came meanwhile; else the lock with
 * our lease (1: we lead); else 0 (someone else leads). A hit is a plain GET first: 32 µs p50 on
 * loopback against 42 µs for this script (measured when it was chosen); a miss, two round trips, is
 * followed by a whoami call of milliseconds anyway.
 */
const CLAIM = `local entry = redis.call('GET', KEYS[1])
if entry then return entry end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`

/**
 * The leader's answer, kept only while the lock still holds its lease (a logout deleted it
 * otherwise), and published to the key's waiters whatever its lifetime.
 */
const FILL = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1`

/** The leader got no answer: its lock goes, and its waiters are told (an empty notice) to ask Ory. */
const RELEASE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '')
return 1`

/**
 * A logout: KEYS are the entries then the locks of the evicted keys, ARGV the eviction channel,
 * its message, then each key's notice channel. Waiters of those keys are told to ask Ory; returns
 * how many proxies (this one included) got the eviction.
 */
const EVICT = `redis.call('DEL', unpack(KEYS))
for i = 3, #ARGV do redis.call('PUBLISH', ARGV[i], '') end
return redis.call('PUBLISH', ARGV[1], ARGV[2])`

interface Scripts {
  orpClaim(entry: string, lock: string, lease: string, lockMs: number): Promise<string | number>
  orpFill(entry: string, lock: string, lease: string, value: string, ttlMs: number, notice: string): Promise<number>
  orpRelease(lock: string, lease: string, notice: string): Promise<number>
  orpEvict(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>
}

type ScriptedRedis = Redis & Scripts

/** A claim waiting for the key's leader in another proxy (or this one, after a restart). */
interface Waiter {
  /** Says whether this claim settled the wait (false: it was settled before). */
  readonly settle: (claim: Claim) => boolean
}

/** An eviction this proxy published: acknowledgements seen, and how many to expect. */
interface Eviction {
  acks: number
  expected: number
  readonly done: () => void
}

export interface RedisLevelOptions {
  /** Prefix of every key and channel: `ory-proxy:v1:<kid>:`, so proxies with other keys never meet. */
  readonly namespace: string
  /** The store's URL without its password, for log lines. */
  readonly display: string
  readonly logger: Logger
}

/**
 * The shared session level in Redis, for several proxies. Each entry is one string
 * (`<ns>e:<key>`, {@link encodeAnswer}'s text) expiring with the entry (`PX`); a key being asked
 * about has a lock (`<ns>l:<key>`) holding the leader's lease. Waiters listen on the key's notice
 * channel (`<ns>n:<key>`), where the leader's fill publishes the answer. A logout deletes entries
 * and locks and publishes the keys on `<ns>evicted`: every proxy drops its hot copies and says so
 * on the evicting proxy's own channel, which waits for as many as Redis reported receivers.
 *
 * Redis is a cache: when it is unreachable every call answers at once as an empty level (`alone`,
 * nothing), the client reconnects in the background, and the level is used again once it is back.
 * Commands time out after 250 ms (`createRedisClient`), so a hung Redis delays a request by at most that.
 */
export class RedisSessionLevel implements SharedSessionLevel {
  readonly #redis: ScriptedRedis
  /** Pub/sub takes a connection of its own. */
  readonly #subscriber: Redis
  readonly #ns: string
  readonly #noticePrefix: string
  readonly #evictedChannel: string
  readonly #ackChannel: string
  readonly #display: string
  readonly #logger: Logger
  /** Leases and eviction messages say which proxy made them. */
  readonly #id = randomBytes(8).toString('hex')
  readonly #waiters = new Map<string, Set<Waiter>>()
  readonly #evictions = new Map<number, Eviction>()
  #leases = 0
  #evictionIds = 0
  #evicted: (keys: readonly string[]) => void = () => {}
  /** Whether Redis was reachable when last heard of, so only changes are logged. */
  #reachable: boolean | undefined
  #lastError: Error | undefined
  #closed = false

  /** Takes over `redis` (connected or not; it is connected now if needed) and closes it with the level. */
  constructor(redis: Redis, options: RedisLevelOptions) {
    this.#ns = options.namespace
    this.#noticePrefix = `${this.#ns}n:`
    this.#evictedChannel = `${this.#ns}evicted`
    this.#ackChannel = `${this.#ns}ack:${this.#id}`
    this.#display = options.display
    this.#logger = options.logger
    // Unknown until it connects when handed over unconnected (a cluster worker: the primary warned at start).
    this.#reachable = redis.status === 'ready' ? true : undefined
    redis.defineCommand('orpClaim', { numberOfKeys: 2, lua: CLAIM })
    redis.defineCommand('orpFill', { numberOfKeys: 2, lua: FILL })
    redis.defineCommand('orpRelease', { numberOfKeys: 1, lua: RELEASE })
    redis.defineCommand('orpEvict', { lua: EVICT })
    this.#redis = redis as ScriptedRedis
    this.#subscriber = redis.duplicate({ connectionName: 'ory-proxy-events', autoResubscribe: false })

    // Without 'error' listeners ioredis prints every failed reconnect; reachability is logged on change.
    redis.on('error', (error: Error) => (this.#lastError = error))
    this.#subscriber.on('error', () => {})
    redis.on('ready', () => this.#reachableAgain())
    redis.on('close', () => this.#lost())
    this.#subscriber.on('close', () => this.#settleWaiters())
    // Each new connection subscribes afresh: channels of waiters that were told `alone` are not wanted back.
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#evictedChannel, this.#ackChannel).catch(() => this.#subscriber.disconnect(true))
    })
    this.#subscriber.on('message', (channel: string, message: string) => this.#receive(channel, message))
    if (redis.status === 'wait') redis.connect().catch(() => {})
    this.#subscriber.connect().catch(() => {})
  }

  async claim(key: string, waitMs: number): Promise<Claim> {
    if (!this.#ready()) return ALONE
    const lease = `${this.#id}:${++this.#leases}`
    const first = await this.#claimOnce(key, lease, waitMs)
    if (first !== undefined) return first
    if (this.#subscriber.status !== 'ready') return ALONE
    return this.#wait(key, lease, waitMs)
  }

  async peek(key: string): Promise<CachedAnswer | undefined> {
    if (!this.#ready()) return undefined
    try {
      const text = await this.#redis.get(this.#ns + 'e:' + key)
      return text === null ? undefined : decodeAnswer(text)
    } catch {
      return undefined
    }
  }

  fill(key: string, answer: CachedAnswer, lease: string | undefined): void {
    if (!this.#ready()) return
    const ttlMs = Math.floor(answer.expiresAt - Date.now())
    if (lease === undefined) {
      // A renewal replaces a live entry (XX), never brings back one a logout removed meanwhile.
      if (ttlMs > 0) this.#redis.set(this.#ns + 'e:' + key, encodeAnswer(answer), 'PX', ttlMs, 'XX').catch(() => {})
      return
    }
    this.#redis
      .orpFill(this.#ns + 'e:' + key, this.#ns + 'l:' + key, lease, encodeAnswer(answer), Math.max(ttlMs, 0), this.#noticePrefix + key)
      .catch(() => {})
  }

  release(key: string, lease: string): void {
    if (!this.#ready()) return
    this.#redis.orpRelease(this.#ns + 'l:' + key, lease, this.#noticePrefix + key).catch(() => {})
  }

  evict(keys: readonly string[]): Promise<void> {
    if (keys.length === 0 || !this.#ready()) return Promise.resolve()
    const id = ++this.#evictionIds
    const redisKeys = [...keys.map((key) => this.#ns + 'e:' + key), ...keys.map((key) => this.#ns + 'l:' + key)]
    const message = JSON.stringify({ from: this.#id, id, keys })
    return new Promise((resolve) => {
      const timer = setTimeout(() => eviction.done(), EVICT_ACK_MS)
      const eviction: Eviction = {
        acks: 0,
        // Until Redis says how many got it, no count of acknowledgements is enough.
        expected: Number.POSITIVE_INFINITY,
        done: () => {
          clearTimeout(timer)
          this.#evictions.delete(id)
          resolve()
        },
      }
      this.#evictions.set(id, eviction)
      this.#redis
        .orpEvict(redisKeys.length, ...redisKeys, this.#evictedChannel, message, ...keys.map((key) => this.#noticePrefix + key))
        .then(
          (receivers) => {
            // This proxy is among the receivers: its own message, when it comes back, counts as its acknowledgement.
            eviction.expected = receivers
            if (eviction.acks >= receivers) eviction.done()
          },
          () => eviction.done(),
        )
    })
  }

  onEvicted(listener: (keys: readonly string[]) => void): void {
    this.#evicted = listener
  }

  close(): Promise<void> {
    this.#closed = true
    this.#settleWaiters()
    for (const eviction of this.#evictions.values()) eviction.done()
    return Promise.all([disconnect(this.#redis), disconnect(this.#subscriber)]).then(() => {})
  }

  #ready(): boolean {
    return this.#redis.status === 'ready'
  }

  /** The entry, or the lead, or undefined when another proxy leads; `alone` when Redis failed. */
  async #claimOnce(key: string, lease: string, waitMs: number): Promise<Claim | undefined> {
    const entry = this.#ns + 'e:' + key
    let reply: string | number | null
    try {
      reply = await this.#redis.get(entry)
      reply ??= await this.#redis.orpClaim(entry, this.#ns + 'l:' + key, lease, waitMs + LOCK_MARGIN_MS)
    } catch {
      return ALONE
    }
    if (reply === 0) return undefined
    if (reply === 1) return { kind: 'lead', lease }
    const answer = decodeAnswer(String(reply))
    return answer === undefined ? ALONE : { kind: 'answer', answer }
  }

  /**
   * Waits for the leader's notice on the key's channel, at most `waitMs`. Once subscribed it claims
   * again, since the leader may have filled or released before the subscription took effect.
   */
  #wait(key: string, lease: string, waitMs: number): Promise<Claim> {
    const channel = this.#noticePrefix + key
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(key)
      if (waiters === undefined) this.#waiters.set(key, (waiters = new Set()))
      const timer = setTimeout(() => {
        // The leader is slow or gone: one last look, then this proxy asks Ory itself.
        void this.peek(key).then((answer) => waiter.settle(answer === undefined ? ALONE : { kind: 'answer', answer }))
      }, waitMs)
      let settled = false
      const waiter: Waiter = {
        settle: (claim) => {
          if (settled) return false
          settled = true
          clearTimeout(timer)
          const left = this.#waiters.get(key)
          left?.delete(waiter)
          if (left?.size === 0) {
            this.#waiters.delete(key)
            if (this.#subscriber.status === 'ready') this.#subscriber.unsubscribe(channel).catch(() => {})
          }
          resolve(claim)
          return true
        },
      }
      waiters.add(waiter)
      this.#subscriber.subscribe(channel).then(
        () =>
          this.#claimOnce(key, lease, waitMs).then((claim) => {
            // A lead taken after a notice already settled this wait would hold others up: give it back.
            if (claim !== undefined && !waiter.settle(claim) && claim.kind === 'lead') this.release(key, lease)
          }),
        () => waiter.settle(ALONE),
      )
    })
  }

  #receive(channel: string, message: string): void {
    if (channel === this.#evictedChannel) return this.#evictedHere(message)
    if (channel === this.#ackChannel) {
      const eviction = this.#evictions.get(Number(message))
      if (eviction !== undefined && ++eviction.acks >= eviction.expected) eviction.done()
      return
    }
    if (!channel.startsWith(this.#noticePrefix)) return
    const waiters = this.#waiters.get(channel.slice(this.#noticePrefix.length))
    if (waiters === undefined) return
    const answer = message === '' ? undefined : decodeAnswer(message)
    const claim: Claim = answer === undefined ? ALONE : { kind: 'answer', answer }
    for (const waiter of [...waiters]) waiter.settle(claim)
  }

  /** An eviction published by some proxy: drop the hot copies and acknowledge (our own counts as one). */
  #evictedHere(message: string): void {
    let eviction: { from?: unknown; id?: unknown; keys?: unknown }
    try {
      eviction = JSON.parse(message) as typeof eviction
    } catch {
      return
    }
    const { from, id, keys } = eviction
    if (typeof from !== 'string' || typeof id !== 'number' || !Array.isArray(keys)) return
    if (from === this.#id) {
      this.#receive(this.#ackChannel, String(id))
      return
    }
    this.#evicted(keys.filter((key): key is string => typeof key === 'string'))
    this.#redis.publish(`${this.#ns}ack:${from}`, String(id)).catch(() => {})
  }

  /** The command connection dropped: nobody waits on Redis any longer. */
  #lost(): void {
    this.#settleWaiters()
    for (const eviction of this.#evictions.values()) eviction.done()
    if (this.#reachable === true && !this.#closed) {
      const reason = this.#lastError === undefined ? '' : ` (${reasonOf(this.#lastError)})`
      this.#logger.warn(`session store ${this.#display} unreachable${reason}: serving from the local cache until it is back`)
    }
    this.#reachable = false
  }

  #reachableAgain(): void {
    if (this.#reachable === false) this.#logger.warn(`session store ${this.#display} is back: sessions are shared again`)
    this.#reachable = true
  }

  #settleWaiters(): void {
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.settle(ALONE)
  }
}

/**
 * Closes a connection without waiting for Redis: resolves once it ended, or soon after in any case
 * (a client between reconnect attempts never reports its end).
 */
function disconnect(client: Redis): Promise<void> {
  // Between attempts there is no socket to close: the pending attempt is cancelled, and that is all.
  const connected = client.status === 'connect' || client.status === 'ready' || client.status === 'connecting'
  if (!connected) {
    client.disconnect()
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    // ioredis destroys a socket Redis does not close within its disconnect timeout (200 ms).
    const timer = setTimeout(resolve, 300)
    client.once('end', () => {
      clearTimeout(timer)
      resolve()
    })
    client.disconnect()
  })
}

/** A connection error for a log line: its code (`ECONNREFUSED`) or a reply's kind, never more. */
function reasonOf(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message.split(' ', 1)[0]!
}
