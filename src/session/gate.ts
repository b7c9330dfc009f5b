import { v4 as uuid } from '@napi-rs/uuid'
import { DEFAULTS, type ProxyConfig, type Upstream } from '../config.js'
import type { Logger } from '../logger.js'
import type { SessionTrace } from '../server/forward.js'
import type { InboundHeaders } from '../server/inbound-headers.js'
import type { SessionGate } from '../server/pipeline.js'
import { CredentialKeys } from './credential-key.js'
import { Credentials, credentialsOf } from './credentials.js'
import { jwksDocument, type JwksDocument } from './jwks.js'
import { generateSigningKey, loadSigningKey, type SigningKey } from './keys.js'
import { SignerPool, type SignerPoolOptions } from './signer.js'
import { SingleFlight } from './single-flight.js'
import { TtlCache } from './ttl-cache.js'
import { WhoamiClient, type ActiveSession } from './whoami.js'
import { sessionOfToken } from '../workers/claims.js'

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
  readonly logger: Logger
}

/**
 * One cache entry: what the app is told, and until when. Holds no credentials, and no second copy
 * of the session: a renewal reads it back from the token (about 1 KiB less per entry).
 */
class CachedAnswer {
  constructor(
    /** `Bearer <jwt>`, or undefined for "no session" (a short negative entry). */
    readonly authorization: string | undefined,
    /** After this (ms) the token is re-signed instead of being reused. */
    readonly renewAt: number,
    readonly expiresAt: number,
    /** The token's `exp` in ms. */
    readonly tokenExpiresAt: number,
    /**
     * What a renewal signs from, kept only when the entry outlives its token: the session's end
     * (ms, or Infinity) when the token carries the session claim; the whole session when the
     * claim was left out for the header budget. Undefined: the next token takes a whoami call.
     */
    readonly renewal: number | ActiveSession | undefined,
  ) {}

  /** The session to sign the next token from (only called when `renewal` is set). */
  renewalSession(): ActiveSession {
    const renewal = this.renewal!
    if (typeof renewal !== 'number') return renewal
    // A number is only kept for a token that carries the session claim.
    const claim = sessionOfToken(this.authorization!)!
    return { ...claim, expiresAt: renewal === Number.POSITIVE_INFINITY ? undefined : renewal }
  }
}

/**
 * Turns a request's Ory credentials into the app's `Authorization: Bearer <jwt>`: a keyed hash of
 * exactly the credentials sent to whoami, one TTL-LRU lookup, and on a miss one whoami call per
 * key however many requests wait (single-flight), then one signature in the piscina pool. A warm
 * entry answers synchronously with the token string it already holds.
 */
export class OrySessionGate implements SessionGate {
  readonly jwks: JwksDocument
  readonly #keys = new CredentialKeys()
  readonly #cache: TtlCache<CachedAnswer> | undefined
  readonly #flights = new SingleFlight<string | undefined>()
  readonly #whoami: WhoamiClient
  readonly #signer: SignerPool
  readonly #ttlMs: number
  readonly #tokenLifetimeS: number
  readonly #renewBesideMinMs: number
  readonly #logger: Logger
  /** Bumped by every logout, so a whoami answer that was in flight then is not cached. */
  #evictions = 0

  constructor(ory: Upstream, options: SessionGateOptions) {
    this.#ttlMs = options.cacheTtlMs ?? DEFAULTS.sessionCacheTtlMs
    this.#cache = this.#ttlMs > 0 ? new TtlCache(options.cacheSize ?? DEFAULTS.sessionCacheSize) : undefined
    this.#tokenLifetimeS = options.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S
    this.#renewBesideMinMs = options.renewBesideMinMs ?? DEFAULT_RENEW_BESIDE_MIN_MS
    this.#logger = options.logger
    this.jwks = jwksDocument(options.key.publicJwk)
    this.#whoami = new WhoamiClient(ory, { timeoutMs: options.whoamiTimeoutMs ?? DEFAULTS.whoamiTimeoutMs })
    this.#signer = new SignerPool(
      {
        privateJwk: options.key.privateJwk,
        kid: options.key.kid,
        // ory proxy: iss = the Ory URL, no trailing slash.
        issuer: ory.origin + ory.pathPrefix,
        headerBudget: options.headerBudgetBytes ?? DEFAULTS.jwtHeaderBudgetBytes,
      },
      options.signer,
    )
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
    const cached = this.#cache?.get(key, now)
    if (cached !== undefined) {
      if (now < cached.renewAt) {
        if (trace !== undefined) trace.session = 'hit'
        return cached.authorization
      }
      if (cached.renewal !== undefined) {
        const waiting = this.#flights.has(key)
        const renewed = this.#flights.run(key, () => this.#renew(key, cached))
        if (now + this.#renewBesideMinMs > cached.tokenExpiresAt) {
          if (trace !== undefined) trace.session = waiting ? 'shared' : 'renew'
          return renewed
        }
        // The cached token is still sent: the request itself waits for nothing.
        if (trace !== undefined) trace.session = 'hit'
        renewed.catch(() => {})
        return cached.authorization
      }
    }
    if (trace !== undefined) trace.session = this.#flights.has(key) ? 'shared' : 'miss'
    return this.#flights.run(key, () => this.#lookup(key, credentials, requestId))
  }

  /**
   * Called once Ory accepted a logout that passed through the proxy: the session's entry goes at
   * once. `sessionToken` is the token an API logout names in its body.
   */
  loggedOut(headers: InboundHeaders, sessionToken?: string): void {
    this.#evictions++
    const credentials = credentialsOf(headers)
    if (credentials !== undefined) this.#evict(this.#keys.keyOf(credentials))
    if (sessionToken !== undefined && sessionToken !== '') {
      // The two ways an API client presents that token to whoami.
      this.#evict(this.#keys.keyOf(new Credentials(undefined, sessionToken, undefined)))
      this.#evict(this.#keys.keyOf(new Credentials(undefined, undefined, `Bearer ${sessionToken}`)))
    }
  }

  /** Stops the whoami pool and the signing threads. */
  async close(): Promise<void> {
    await Promise.all([this.#whoami.close(), this.#signer.close()])
  }

  /** Entries in the session cache now (bounded by `--session-cache-size`). */
  get cachedSessions(): number {
    return this.#cache?.size ?? 0
  }

  /** Signing threads alive (tests check that close leaves none). */
  get signingThreads(): number {
    return this.#signer.threadCount
  }

  #evict(key: string): void {
    this.#cache?.delete(key)
    this.#flights.forget(key)
  }

  async #lookup(key: string, credentials: Credentials, requestId: string): Promise<string | undefined> {
    const generation = this.#evictions
    // Entry lifetimes count from before the question: a session revoked while whoami was in
    // flight is forgotten within the TTL of the revocation (checklist e2).
    const asked = Date.now()
    const session = await this.#whoami.check(credentials, requestId)
    const answer =
      session === undefined
        ? new CachedAnswer(undefined, Number.POSITIVE_INFINITY, asked + Math.min(this.#ttlMs, NEGATIVE_TTL_MS), 0, undefined)
        : await this.#issue(session, Math.min(asked + this.#ttlMs, session.expiresAt ?? Number.POSITIVE_INFINITY))
    if (this.#cache !== undefined && generation === this.#evictions) this.#cache.set(key, answer)
    return answer.authorization
  }

  async #renew(key: string, cached: CachedAnswer): Promise<string | undefined> {
    const generation = this.#evictions
    const answer = await this.#issue(cached.renewalSession(), cached.expiresAt)
    if (this.#cache !== undefined && generation === this.#evictions) this.#cache.set(key, answer)
    return answer.authorization
  }

  /** Signs a token for `session` (exp ≤ its `expires_at`) and wraps it as an entry living until `expiresAt`. */
  async #issue(session: ActiveSession, expiresAt: number): Promise<CachedAnswer> {
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const sessionEnd = session.expiresAt === undefined ? Number.POSITIVE_INFINITY : Math.floor(session.expiresAt / 1000)
    const exp = Math.min(iat + this.#tokenLifetimeS, sessionEnd)
    // A session ending within the second: no token would outlive its own issue time.
    if (exp <= iat) return new CachedAnswer(undefined, Number.POSITIVE_INFINITY, expiresAt, 0, undefined)
    const signed = await this.#signer.sign({ sub: session.sub, session: session.session, iat, exp, jti: uuid() })
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
}

/**
 * Loads or generates the signing key (a bad `--jwk-file` throws a ConfigError before any thread
 * or socket exists), then builds the gate.
 */
export function openSessionGate(config: ProxyConfig, settings: SessionSettings, logger: Logger): OrySessionGate {
  const key = settings.jwkFile === undefined ? generateSigningKey() : loadSigningKey(settings.jwkFile)
  return new OrySessionGate(config.ory, {
    key,
    cacheTtlMs: settings.cacheTtlMs,
    cacheSize: settings.cacheSize,
    whoamiTimeoutMs: settings.whoamiTimeoutMs,
    logger,
  })
}
