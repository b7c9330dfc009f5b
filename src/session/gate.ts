import { v4 as uuid } from '@napi-rs/uuid'
import { DEFAULTS, type ProxyConfig, type Upstream } from '../config.js'
import type { Logger } from '../logger.js'
import type { SessionTrace } from '../server/forward.js'
import type { InboundHeaders } from '../server/inbound-headers.js'
import type { SessionGate } from '../server/pipeline.js'
import { sessionOfToken } from '../workers/claims.js'
import { CachedAnswer } from './cached-answer.js'
import { CredentialKeys } from './credential-key.js'
import { Credentials, credentialsOf } from './credentials.js'
import { jwksDocument, type JwksDocument } from './jwks.js'
import type { SessionEvents } from './events.js'
import { credentialSecretOf, type SigningKey } from './keys.js'
import { ALONE, type SharedSessionLevel } from './shared-level.js'
import { startSignerPool, type SignerPool, type SignerPoolOptions } from './signer.js'
import { SingleFlight } from './single-flight.js'
import { SessionCache, type StoredAnswer } from './session-cache.js'
import { WhoamiClient, type ActiveSession, type CallContext } from './whoami.js'

/** ory proxy signs tokens valid for 60 s. */
const DEFAULT_TOKEN_LIFETIME_S = 60
/**
 * A token is re-signed before less than 10% of its lifetime is left (as Oathkeeper's id_token
 * cache), at a point drawn from 75–90% of it: tokens signed together (a warm-up, a burst of
 * sign-ins) then renew spread over several seconds instead of in one wave that would fill the
 * signing queue.
 */
const RENEW_FROM_FRACTION = 0.75
const RENEW_BY_FRACTION = 0.9
/** A 401 is remembered this long at most, so a stale cookie does not cost a whoami call per request. */
const NEGATIVE_TTL_MS = 1_000
/**
 * A token due for renewal that is still valid this much longer is sent while its successor is
 * signed beside (stale-while-revalidate), so no request waits for a signature on a warm entry.
 * Closer to its `exp`, the request waits: the app must get a token it can still verify.
 */
const DEFAULT_RENEW_BESIDE_MIN_MS = 1_000

export interface SessionGateOptions {
  readonly key: SigningKey
  /** 0 turns the cache off: every request asks whoami (concurrent ones still share a call). */
  readonly cacheTtlMs?: number | undefined
  readonly cacheSize?: number | undefined
  readonly whoamiTimeoutMs?: number | undefined
  readonly headerBudgetBytes?: number | undefined
  /** JWT lifetime (`exp - iat`); ory proxy's 60 s unless a test needs renewals sooner. */
  readonly tokenLifetimeS?: number | undefined
  /** A token due for renewal is still sent while this much validity is left (default 1 s; tests shorten it). */
  readonly renewBesideMinMs?: number | undefined
  readonly signer?: SignerPoolOptions | undefined
  /**
   * A pool already started for `key` ({@link startSignerPool}), which the gate then owns and
   * closes; undefined: the gate starts one with `signer`'s options.
   */
  readonly signerPool?: SignerPool | undefined
  /**
   * The second level shared with other workers or proxies (cluster primary, Redis); undefined:
   * this process's cache alone. Unused with the cache off. The gate closes it.
   */
  readonly shared?: SharedSessionLevel | undefined
  readonly logger: Logger
  /** Told of whoami calls, signatures and evictions (metrics); undefined: nothing is measured. */
  readonly events?: SessionEvents | undefined
}

/**
 * Turns a request's Ory credentials into the app's `Authorization: Bearer <jwt>`: a keyed hash of
 * exactly the credentials sent to whoami, one TTL-LRU lookup, and on a miss one whoami call per
 * key however many requests wait (single-flight), then one signature in the piscina pool. A warm
 * entry answers synchronously with the token string it already holds.
 */
export class OrySessionGate implements SessionGate {
  readonly jwks: JwksDocument
  readonly #keys: CredentialKeys
  readonly #cache: SessionCache | undefined
  readonly #shared: SharedSessionLevel | undefined
  /** The level handed over, closed with the gate even when the cache is off and it goes unused. */
  readonly #level: SharedSessionLevel | undefined
  readonly #flights = new SingleFlight<string | undefined>()
  readonly #whoami: WhoamiClient
  readonly #signer: SignerPool
  readonly #ttlMs: number
  readonly #whoamiTimeoutMs: number
  readonly #tokenLifetimeS: number
  readonly #renewBesideMinMs: number
  readonly #logger: Logger
  readonly #events: SessionEvents | undefined
  /** Bumped by every logout, so a whoami answer that was in flight then is not cached. */
  #evictions = 0
  /** Renewals of tokens still being sent, from their start to their end ({@link #renewBeside}). */
  #renewingBeside = 0

  constructor(ory: Upstream, options: SessionGateOptions) {
    const events = options.events
    this.#events = events
    this.#ttlMs = options.cacheTtlMs ?? DEFAULTS.sessionCacheTtlMs
    this.#cache =
      this.#ttlMs > 0
        ? new SessionCache(
            options.cacheSize ?? DEFAULTS.sessionCacheSize,
            events === undefined ? undefined : (reason) => events.sessionsEvicted(reason, 1),
          )
        : undefined
    // Keys derive from the signing key and the Ory asked, so workers and proxies sharing both share cache keys.
    this.#keys = new CredentialKeys(credentialSecretOf(options.key, ory.origin + ory.pathPrefix))
    this.#level = options.shared
    this.#shared = this.#cache === undefined ? undefined : options.shared
    this.#shared?.onEvicted((keys) => this.#evictedElsewhere(keys))
    this.#whoamiTimeoutMs = options.whoamiTimeoutMs ?? DEFAULTS.whoamiTimeoutMs
    this.#tokenLifetimeS = options.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S
    this.#renewBesideMinMs = options.renewBesideMinMs ?? DEFAULT_RENEW_BESIDE_MIN_MS
    this.#logger = options.logger
    this.jwks = jwksDocument(options.key.publicJwk)
    this.#whoami = new WhoamiClient(ory, { timeoutMs: this.#whoamiTimeoutMs, events })
    this.#signer = options.signerPool ?? startSignerPool(ory, options.key, { ...options.signer, headerBudgetBytes: options.headerBudgetBytes })
  }

  authorize(
    headers: InboundHeaders,
    requestId: string,
    trace?: SessionTrace,
  ): string | undefined | Promise<string | undefined> {
    const credentials = credentialsOf(headers)
    // No credentials: no whoami call and no cache lookup, so no entry can ever be shared by
    // anonymous requests (checklist e1).
    if (credentials === undefined) return undefined
    const key = this.#keys.keyOf(credentials)
    const now = Date.now()
    const cache = this.#cache
    const cached = cache?.get(key, now)
    if (cached !== undefined) {
      if (now < cached.renewAt) {
        if (trace !== undefined) trace.session = 'hit'
        return cache!.authorizationOf(cached)
      }
      if (cached.renewal !== undefined) {
        if (now + this.#renewBesideMinMs > cached.tokenExpiresAt) {
          if (trace !== undefined) trace.session = this.#flights.has(key) ? 'shared' : 'renew'
          return this.#flights.run(key, () => this.#renew(key, cache!.answerOf(cached)))
        }
        // The cached token is still sent: the request itself waits for nothing.
        if (trace !== undefined) trace.session = 'hit'
        if (!this.#flights.has(key)) this.#renewBeside(key, cached)
        return cache!.authorizationOf(cached)
      }
    }
    if (trace !== undefined) trace.session = this.#flights.has(key) ? 'shared' : 'miss'
    return this.#flights.run(key, () =>
      this.#lookup(key, credentials, { requestId, traceparent: headers.traceparent, tracestate: headers.tracestate }, trace),
    )
  }

  /**
   * A token for the same identity and lifetime as `authorization` without its session claim, for a
   * request whose other headers leave no room for the whole one (checklist e7); undefined when it
   * carries no session claim already. Signed for that request alone and not cached: a client
   * sending that much rarely does so on every request.
   */
  leanAuthorization(authorization: string): Promise<string> | undefined {
    const token = sessionOfToken(authorization)
    if (token === undefined) return undefined
    if (this.#logger.debugEnabled) {
      this.#logger.debug({ event: 'jwt-session-dropped', sub: token.sub, reason: "the request's headers with the whole token would exceed what the app accepts" })
    }
    const signingStarted = performance.now()
    return this.#signer.sign({ sub: token.sub, session: undefined, iat: token.iat, exp: token.exp, jti: uuid() }).then((signed) => {
      this.#events?.tokenSigned((performance.now() - signingStarted) / 1000)
      return signed.authorization
    })
  }

  /**
   * Called once Ory accepted a logout that passed through the proxy: the session's entry goes at
   * once. `sessionToken` is the token an API logout names in its body. With a shared level, the
   * promise resolves once every other worker or proxy has dropped it too.
   */
  loggedOut(headers: InboundHeaders, sessionToken?: string): Promise<void> | undefined {
    const keys: string[] = []
    const credentials = credentialsOf(headers)
    if (credentials !== undefined) keys.push(this.#keys.keyOf(credentials))
    if (sessionToken !== undefined && sessionToken !== '') {
      // The two ways an API client presents that token to whoami.
      keys.push(this.#keys.keyOf(new Credentials(undefined, sessionToken, undefined)))
      keys.push(this.#keys.keyOf(new Credentials(undefined, undefined, `Bearer ${sessionToken}`)))
    }
    this.#evictedElsewhere(keys)
    return keys.length === 0 ? undefined : this.#shared?.evict(keys)
  }

  /** Stops the whoami pool and the signing threads. */
  async close(): Promise<void> {
    await Promise.all([this.#whoami.close(), this.#signer.close(), this.#level?.close()])
  }

  /** Entries in the session cache now (bounded by `--session-cache-size`). */
  get cachedSessions(): number {
    return this.#cache?.size ?? 0
  }

  /** Resolves once the signing pool is up (a thread has signed); for readiness probes. */
  ready(): Promise<void> {
    return this.#signer.ready()
  }

  /** Tokens waiting for a signing thread now. */
  get signingQueueDepth(): number {
    return this.#signer.queueDepth
  }

  /** Signing threads alive (tests check that close leaves none). */
  get signingThreads(): number {
    return this.#signer.threadCount
  }

  /** Drops `keys` from this process; an answer in flight now is not cached when it lands. */
  #evictedElsewhere(keys: readonly string[]): void {
    this.#evictions++
    let dropped = 0
    for (const key of keys) {
      if (this.#cache?.delete(key)) dropped++
      this.#flights.forget(key)
    }
    if (dropped > 0) this.#events?.sessionsEvicted('logout', dropped)
  }

  async #lookup(
    key: string,
    credentials: Credentials,
    context: CallContext,
    trace: SessionTrace | undefined,
  ): Promise<string | undefined> {
    const generation = this.#evictions
    const shared = this.#shared
    const claim = shared === undefined ? ALONE : await shared.claim(key, this.#whoamiTimeoutMs)
    if (claim.kind === 'answer') {
      // Another worker or proxy asked Ory (or is asking and just answered).
      if (trace !== undefined) trace.session = 'peer'
      const { answer } = claim
      this.#keep(key, answer, generation)
      // Its entry may outlive its token (a cache TTL longer than tokens, nobody renewing it): as for
      // a hot entry, a token too close to its exp waits for its successor instead of being sent.
      if (answer.renewal !== undefined && Date.now() + this.#renewBesideMinMs > answer.tokenExpiresAt) return this.#renew(key, answer)
      return answer.authorization
    }
    const lease = claim.kind === 'lead' ? claim.lease : undefined
    let answer: CachedAnswer
    try {
      // Entry lifetimes count from before the question: a session revoked while whoami was in
      // flight is forgotten within the TTL of the revocation (checklist e2).
      const asked = Date.now()
      const session = await this.#whoami.check(credentials, context)
      answer =
        session === undefined
          ? new CachedAnswer(undefined, Number.POSITIVE_INFINITY, asked + Math.min(this.#ttlMs, NEGATIVE_TTL_MS), 0, undefined)
          : await this.#issue(session, Math.min(asked + this.#ttlMs, session.expiresAt ?? Number.POSITIVE_INFINITY))
    } catch (error) {
      if (lease !== undefined) shared!.release(key, lease)
      throw error
    }
    if (this.#keep(key, answer, generation)) {
      if (lease !== undefined) shared!.fill(key, answer, lease)
    } else if (lease !== undefined) {
      shared!.release(key, lease)
    }
    return answer.authorization
  }

  /**
   * Starts renewing a token that is still being sent, unless as many such renewals as the signing
   * pool lets run beside are in progress: then a later request for the session starts it. Counted
   * here, from the start, because a burst of requests starts them all before the first reaches
   * the pool; so they never fill the room a request waiting for its token needs.
   */
  #renewBeside(key: string, cached: StoredAnswer): void {
    if (this.#renewingBeside >= this.#signer.besideLimit) return
    this.#renewingBeside++
    this.#flights
      .run(key, () => this.#renew(key, this.#cache!.answerOf(cached)))
      .catch(() => {})
      .finally(() => this.#renewingBeside--)
  }

  async #renew(key: string, cached: CachedAnswer): Promise<string | undefined> {
    const generation = this.#evictions
    // Another worker or proxy may have renewed this session already: its token serves here too.
    const renewed = await this.#shared?.peek(key)
    if (renewed !== undefined && renewed.renewAt > Date.now()) {
      this.#keep(key, renewed, generation)
      return renewed.authorization
    }
    const answer = await this.#issue(cached.renewalSession(), cached.expiresAt)
    if (this.#keep(key, answer, generation)) this.#shared?.fill(key, answer, undefined)
    return answer.authorization
  }

  /** Caches `answer` unless a logout came since `generation` was read; says whether it did. */
  #keep(key: string, answer: CachedAnswer, generation: number): boolean {
    if (this.#cache === undefined || generation !== this.#evictions) return false
    this.#cache.set(key, answer)
    return true
  }

  /** Signs a token for `session` (exp ≤ its `expires_at`) and wraps it as an entry living until `expiresAt`. */
  async #issue(session: ActiveSession, expiresAt: number): Promise<CachedAnswer> {
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const sessionEnd = session.expiresAt === undefined ? Number.POSITIVE_INFINITY : Math.floor(session.expiresAt / 1000)
    const exp = Math.min(iat + this.#tokenLifetimeS, sessionEnd)
    // A session ending within the second: no token would outlive its own issue time.
    if (exp <= iat) return new CachedAnswer(undefined, Number.POSITIVE_INFINITY, expiresAt, 0, undefined)
    const signingStarted = performance.now()
    const signed = await this.#signer.sign({ sub: session.sub, session: session.session, iat, exp, jti: uuid() })
    this.#events?.tokenSigned((performance.now() - signingStarted) / 1000)
    if (signed.sessionDropped && this.#logger.debugEnabled) {
      this.#logger.debug({
        event: 'jwt-session-dropped',
        sub: session.sub,
        reason: 'the token with the session claim would exceed the header budget',
      })
    }
    const renewAt = (iat + (RENEW_FROM_FRACTION + Math.random() * (RENEW_BY_FRACTION - RENEW_FROM_FRACTION)) * (exp - iat)) * 1000
    const renewal = expiresAt <= renewAt ? undefined : signed.sessionDropped ? session : (session.expiresAt ?? Number.POSITIVE_INFINITY)
    return new CachedAnswer(signed.authorization, renewAt, expiresAt, exp * 1000, renewal)
  }
}

/** What the `start` command decides about sessions, before anything starts. */
export interface SessionSettings {
  /** `--jwk-file`; undefined generates a key for this process. */
  readonly jwkFile: string | undefined
  readonly cacheTtlMs: number
  readonly cacheSize: number
  readonly whoamiTimeoutMs: number
  /** `--session-store`: the shared level in Redis, for several proxies; undefined: none. */
  readonly store: SessionStoreSettings | undefined
}

/** `--session-store`, parsed: where the Redis holding the shared level is, and how to log in. */
export interface SessionStoreSettings {
  readonly host: string
  readonly port: number
  readonly username: string | undefined
  readonly password: string | undefined
  /** The database number (`SELECT`). */
  readonly db: number
  /** `rediss://`: TLS, verified against the host name. */
  readonly tls: boolean
  /** The URL with its password replaced by `****`: the only form any message shows. */
  readonly display: string
}

/** What the gate signs with and shares, settled before it is built (by `serve`, or a cluster primary). */
export interface SessionParts {
  /** The signing key: `--jwk-file`'s, a new one, or the one every worker or proxy shares. */
  readonly key: SigningKey
  /** The shared second level (cluster primary, Redis); undefined: this process's cache alone. */
  readonly level: SharedSessionLevel | undefined
  /** The signing pool, started for `key` before the rest of the proxy loaded. */
  readonly signerPool: SignerPool
}

/** Builds the gate for `config` from the session flags and the parts settled before; `events` feed the metrics. */
export function openSessionGate(
  config: ProxyConfig,
  settings: SessionSettings,
  logger: Logger,
  parts: SessionParts,
  events?: SessionEvents,
): OrySessionGate {
  return new OrySessionGate(config.ory, {
    key: parts.key,
    cacheTtlMs: settings.cacheTtlMs,
    cacheSize: settings.cacheSize,
    whoamiTimeoutMs: settings.whoamiTimeoutMs,
    shared: parts.level,
    signerPool: parts.signerPool,
    logger,
    events,
  })
}
