import { Redis } from 'ioredis'
import type { SessionStoreSettings } from './gate.js'

/**
 * The longest a request waits for Redis: a command without an answer by then fails, and the
 * request asks Ory as if there were no store. On loopback a command takes about 100 µs.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 250
/** Reconnects back off from 50 ms, doubling up to this, for as long as the proxy runs. */
const RECONNECT_MAX_MS = 1_000
/** A connection (TCP, TLS, login, ready check) taking longer than this is dropped and retried. */
const CONNECT_TIMEOUT_MS = 2_000
/**
 * A connection with commands waiting and no byte from Redis for this long is cut (a hung or
 * stopped Redis): while it reconnects, commands fail at once instead of after their timeout.
 */
const SOCKET_TIMEOUT_MS = 1_000
/** At close, a Redis that does not answer our FIN has this long before the socket is destroyed. */
const DISCONNECT_TIMEOUT_MS = 200

/**
 * An ioredis client for the session store that never makes a request wait for Redis: no offline
 * queue (a command while disconnected fails at once), no resending after a reconnect, a short
 * command timeout, and reconnection in the background with a bounded backoff. Connects on
 * `connect()` (or its first command), so the caller decides how long start-up waits.
 */
export function createRedisClient(store: SessionStoreSettings): Redis {
  return new Redis({
    host: store.host,
    port: store.port,
    username: store.username,
    password: store.password,
    db: store.db,
    // rediss://: Node's TLS defaults (system CAs and NODE_EXTRA_CA_CERTS; the certificate must
    // name the host, which is also the SNI name unless it is an address).
    tls: store.tls ? {} : undefined,
    connectionName: 'ory-proxy',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(25 * 2 ** attempt, RECONNECT_MAX_MS),
  })
}

/**
 * The kind of a Redis error reply: its first word (`WRONGPASS`, `NOAUTH`, `ERR`, ...), which the
 * protocol defines as the error's kind (RESP, "Simple errors"). Undefined for anything that is not
 * a reply (a refused connection, a timeout).
 */
export function redisErrorKind(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined
  const space = error.message.indexOf(' ')
  return space === -1 ? error.message : error.message.slice(0, space)
}

/** Replies meaning Redis refuses our login: a wrong or missing password, or a user without rights. */
export function isLoginRefusal(error: unknown): boolean {
  const kind = redisErrorKind(error)
  return kind === 'WRONGPASS' || kind === 'NOAUTH' || kind === 'NOPERM'
}

/**
 * Node's codes for a server certificate it does not trust: OpenSSL's verification errors, and a
 * certificate for another name. Retrying cannot help, so start-up stops on them.
 */
const UNTRUSTED_CERTIFICATE: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** The code of a TLS error meaning the store's certificate is not trusted, else undefined. */
export function untrustedCertificate(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code !== undefined && UNTRUSTED_CERTIFICATE.has(code) ? code : undefined
}
