import type { Redis } from 'ioredis'
import { ConfigError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { SessionStoreSettings } from './gate.js'
import { generateSigningKey, loadSigningKey, parseSigningKey, signingKeyFor, type SigningKey } from './keys.js'
import { createRedisClient, isLoginRefusal, redisErrorKind, untrustedCertificate } from './redis-client.js'
import { RedisSessionLevel } from './redis-level.js'

/** Where the first proxy leaves the signing key for the others: its private JWK, as `--jwk-file` takes it. */
export const SIGNING_KEY_KEY = 'ory-proxy:v1:signing-key'
/** Start-up waits this long for Redis before serving from the local cache alone. */
const STARTUP_WAIT_MS = 2_000

/** A session store opened at start: the key every proxy signs with, and a connection to hand to the level. */
export interface OpenedStore {
  readonly key: SigningKey
  /** Connected, or reconnecting in the background when Redis could not be reached at start. */
  readonly redis: Redis
}

/**
 * Connects to the session store at start and settles the signing key: `--jwk-file`'s, else the one
 * the first proxy stored (this one stores a new key when there is none). A refused login, an
 * untrusted TLS certificate or a database Redis does not have is a {@link ConfigError}; a Redis that does not answer within
 * {@link STARTUP_WAIT_MS} is a warning, and this proxy signs with a key of its own meanwhile.
 */
export async function openSessionStore(store: SessionStoreSettings, jwkFile: string | undefined, logger: Logger): Promise<OpenedStore> {
  const redis = createRedisClient(store)
  let reachable: boolean
  try {
    reachable = await connect(redis, store)
  } catch (error) {
    redis.disconnect()
    throw error
  }
  const local = (): Promise<SigningKey> => signingKeyFor(jwkFile)
  if (!reachable) {
    logger.warn(
      `session store ${store.display} unreachable at start: serving from the local cache until it is back${
        jwkFile === undefined ? ' (with a signing key of this proxy only)' : ''
      }`,
    )
    return { key: await local(), redis }
  }
  try {
    return { key: jwkFile === undefined ? await sharedKey(redis, store) : await loadSigningKey(jwkFile), redis }
  } catch (error) {
    if (error instanceof ConfigError) {
      redis.disconnect()
      throw error
    }
    logger.warn(`session store ${store.display} did not hand out the signing key: this proxy signs with its own`)
    return { key: await local(), redis }
  }
}

/**
 * The shared level over an opened store's connection, its keys under the key's `kid`. Unless the
 * key is `--jwk-file`'s, it is written back (`SET NX`) whenever the connection is made again, so a
 * Redis that restarted empty still hands the proxies' key to one started later.
 */
export function openRedisLevel(
  redis: Redis,
  key: SigningKey,
  store: SessionStoreSettings,
  logger: Logger,
  storeKey: boolean,
): RedisSessionLevel {
  if (storeKey) {
    const jwk = jwkTextOf(key)
    redis.on('ready', () => void redis.set(SIGNING_KEY_KEY, jwk, 'NX').catch(() => {}))
  }
  return new RedisSessionLevel(redis, { namespace: `ory-proxy:v1:${key.kid}:`, display: store.display, logger })
}

/** A cluster worker's level: the primary checked the store at start, so nothing is awaited here. */
export function openWorkerLevel(store: SessionStoreSettings, key: SigningKey, logger: Logger, storeKey: boolean): RedisSessionLevel {
  return openRedisLevel(createRedisClient(store), key, store, logger, storeKey)
}

/** The private key as `--jwk-file` takes it, `kid` included. */
function jwkTextOf(key: SigningKey): string {
  return JSON.stringify({ ...key.privateJwk, kid: key.kid })
}

/**
 * Connects and checks the login and the database: true once Redis answered; false when it did not
 * within {@link STARTUP_WAIT_MS} (the client keeps trying); a ConfigError when it refused.
 */
async function connect(redis: Redis, store: SessionStoreSettings): Promise<boolean> {
  // ioredis rejects `connect()` with "Connection is closed" whatever happened; the reply that
  // closed it (WRONGPASS, NOAUTH) arrives as an 'error' event first.
  let refusal: ConfigError | undefined
  const onError = (error: Error) => {
    if (isLoginRefusal(error)) {
      refusal ??= new ConfigError(`session store ${store.display} refused the login (${redisErrorKind(error)}): check the user and password`, {
        cause: error,
      })
    }
    const untrusted = untrustedCertificate(error)
    if (untrusted !== undefined) {
      refusal ??= new ConfigError(
        `session store ${store.display} has a TLS certificate this proxy does not trust (${untrusted}): give its CA in NODE_EXTRA_CA_CERTS`,
        { cause: error },
      )
    }
  }
  redis.on('error', onError)
  let timer: NodeJS.Timeout | undefined
  try {
    const connected = await Promise.race([
      redis.connect().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(resolve, STARTUP_WAIT_MS, false))),
    ])
    if (refusal !== undefined) throw refusal
    if (!connected) return false
    // ioredis only reports a failed SELECT as an event and goes on in database 0: ask again.
    try {
      await redis.select(store.db)
    } catch (error) {
      if (redisErrorKind(error) === undefined) return false
      throw new ConfigError(`session store ${store.display} has no database ${store.db} (${redisErrorKind(error)})`, { cause: error })
    }
    return true
  } finally {
    clearTimeout(timer)
    redis.off('error', onError)
  }
}

/**
 * The key the first proxy stored, or a new one this proxy stores (`SET NX`: of two proxies starting
 * at once, one key wins and both use it).
 */
async function sharedKey(redis: Redis, store: SessionStoreSettings, attempts = 2): Promise<SigningKey> {
  const mine = generateSigningKey()
  const stored = await redis.set(SIGNING_KEY_KEY, jwkTextOf(mine), 'NX')
  if (stored === 'OK') return mine
  const text = await redis.get(SIGNING_KEY_KEY)
  // Deleted in between: store ours (once more; past that, someone keeps deleting it).
  if (text === null) {
    if (attempts > 1) return sharedKey(redis, store, attempts - 1)
    throw new Error('the signing key keeps disappearing')
  }
  return parseSigningKey(text, (reason, cause) => {
    throw new ConfigError(`the signing key in session store ${store.display} (${SIGNING_KEY_KEY}) ${reason}`, { cause })
  })
}
