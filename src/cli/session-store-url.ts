import { ConfigError } from '../errors.js'
import type { SessionStoreSettings } from '../session/gate.js'

/** Redis' own port. */
const REDIS_PORT = 6379
const USAGE = 'must be a redis:// or rediss:// URL: redis[s]://[[user]:password@]host[:port][/db]'

/**
 * `--session-store`: a `redis://` (plain) or `rediss://` (TLS) URL with an optional user and
 * password (URL-encoded) and database number, as redis-cli and ioredis read it. Anything else is a
 * {@link ConfigError} that never repeats the URL's password (an unparsable URL is not repeated at all).
 */
export function parseSessionStoreUrl(text: string): SessionStoreSettings {
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new ConfigError(`--session-store ${USAGE}`, { cause })
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`--session-store ${USAGE}, got a ${url.protocol} URL`)
  }
  const display = displayOf(url)
  // WHATWG URL leaves the host empty for `redis:///0` and `redis://:pw@/0`.
  if (url.hostname === '') throw new ConfigError(`--session-store has no host: ${display}`)
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(`--session-store takes no query or fragment (the database is the path): ${display}`)
  }
  const path = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1)
  if (!/^\d{1,5}$/.test(path)) throw new ConfigError(`--session-store's path must be a database number, e.g. /0: ${display}`)
  let username: string | undefined
  let password: string | undefined
  try {
    username = url.username === '' ? undefined : decodeURIComponent(url.username)
    password = url.password === '' ? undefined : decodeURIComponent(url.password)
  } catch (cause) {
    throw new ConfigError(`--session-store has a user or password that is not valid URL encoding: ${display}`, { cause })
  }
  return Object.freeze({
    // `[::1]` is a host name in a URL and an address without its brackets for a socket.
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? REDIS_PORT : Number(url.port),
    username,
    password,
    db: Number(path),
    tls: url.protocol === 'rediss:',
    display,
  })
}

/** The URL as it may be printed: the password replaced by `****`, whatever else it had. */
function displayOf(url: URL): string {
  const credentials = url.username === '' && url.password === '' ? '' : `${url.username}${url.password === '' ? '' : ':****'}@`
  return `${url.protocol}//${credentials}${url.host}${url.pathname}`
}
