/** A load the client role runs, described as data so it crosses the IPC channel. */
export type Load = HttpLoad | H2Load | ParallelLoad

/** HTTP/1.1 keep-alive load through autocannon. */
export interface HttpLoad {
  readonly kind: 'http'
  readonly url: string
  readonly connections: number
  /** Run this long… */
  readonly seconds?: number
  /** …or until this many requests are answered. */
  readonly amount?: number
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly rate?: number
  /** One Ory session cookie on every request (`ory_session_bench=<n>`). */
  readonly session?: number
  /** A different session on each request, cycling through this many (starting at `session` or 0). */
  readonly sessions?: number
  /**
   * A new TCP connection for every request (`Connection: close`; the server closes after its
   * response), through the client's own loop: autocannon writes the next request on the closing
   * socket and so mismatches responses, and its `reconnectRate` drops the response it reconnects on.
   */
  readonly reconnect?: boolean
  /**
   * `undici`: keep-alive connections through the client's own undici loop instead of autocannon,
   * for servers that close connections: after a `Connection: close` response autocannon has
   * already written its next request on the closing socket, loses it, and from then on matches
   * each response to the request before it (latencies about doubled), where undici reconnects.
   *
   * `wrk`: keep-alive connections at full speed through Debian's wrk (one thread), for large
   * responses: autocannon spends about 2 ms of CPU reading a 1 MiB response (more than any proxy
   * passing it on), wrk about 0.3 ms, nearly all of it the kernel's copy, so the proxy rather than
   * the client is what the two cores are busy with. Loads by `seconds` only, with at most one `session`.
   */
  readonly client?: 'undici' | 'wrk'
}

/** HTTP/2 prior-knowledge (h2c) load: `streams` concurrent requests on one session. */
export interface H2Load {
  readonly kind: 'h2'
  readonly url: string
  readonly streams: number
  readonly seconds: number
}

/** Loads run at the same time; the result of each is reported. */
export interface ParallelLoad {
  readonly kind: 'parallel'
  readonly loads: readonly (HttpLoad | H2Load)[]
}

/** What the client saw. Latencies in ms, from request written to response complete. */
export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number
  /** The same by what they were: `HTTP 503`, an error's code (`UND_ERR_HEADERS_TIMEOUT`, `ECONNRESET`), `timeout`, … */
  readonly failures: Readonly<Record<string, number>>
}

export const SESSION_COOKIE = 'ory_session_bench'
