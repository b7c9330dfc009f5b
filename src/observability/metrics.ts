import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RequestInfo } from '../server/forward.js'
import type { ProxyObserver, RewriteOutcome } from '../server/observer.js'
import type { Route } from '../server/router.js'
import type { EvictionReason, SessionEvents, WhoamiOutcome } from '../session/events.js'
import { SlotCounter, SlotHistogram } from './slot-metrics.js'

/**
 * Seconds, from a quarter millisecond (a warm proxied request on loopback) to 30 s (a dev server
 * compiling its first page; the upstream timeout is 120 s).
 */
const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Seconds: an ES256 signature takes about 0.3 ms of CPU; a queue behind a burst, up to seconds. */
const SIGNING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

const ROUTES: readonly Route[] = ['app', 'ory', 'jwks']
const ROUTE_SLOT: Readonly<Record<Route, number>> = { app: 0, ory: 1, jwks: 2 }
/** Methods counted under their own name; anything else is `OTHER`, so a client cannot grow the label set. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'OTHER']
const METHOD_SLOT = new Map(METHODS.map((method, slot) => [method, slot]))
const OTHER_METHOD = METHODS.length - 1
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx']
const LOOKUP_RESULTS = ['hit', 'renew', 'miss', 'shared', 'peer'] as const
const LOOKUP_SLOT: Readonly<Record<string, number>> = Object.fromEntries(LOOKUP_RESULTS.map((result, slot) => [result, slot]))

/** The slot of a request's route, method and status class in `ory_proxy_requests_total`. */
function requestSlot(route: Route, method: string, status: number): number {
  const statusClass = Math.min(Math.max(Math.trunc(status / 100), 1), 5) - 1
  return (ROUTE_SLOT[route] * METHODS.length + (METHOD_SLOT.get(method) ?? OTHER_METHOD)) * STATUS_CLASSES.length + statusClass
}

/** What the metrics read when scraped (gauges): the running proxy, its session gate, its request log. */
export interface MetricSources {
  readonly proxy?: {
    readonly tunnels: number
    clientConnections(): { readonly h1: number; readonly h2: number }
    upstreamStats(): { readonly app: UpstreamFigures; readonly ory: UpstreamFigures }
  }
  readonly gate?: { readonly cachedSessions: number; readonly signingQueueDepth: number }
  readonly log?: { readonly dropped: number }
}

interface UpstreamFigures {
  readonly connected: number
  readonly pending: number
}

/**
 * The proxy's Prometheus metrics (prom-client), in a registry of their own: counters and
 * histograms fed by the request pipeline ({@link ProxyObserver}) and the session gate
 * ({@link SessionEvents}), gauges read from {@link MetricSources} when scraped, and the process
 * metrics prom-client collects by default. The README lists every one. Per request this is a few
 * additions to typed-array slots (src/observability/slot-metrics.ts): about 0.2 µs.
 */
export class ProxyMetrics implements ProxyObserver, SessionEvents {
  readonly registry = new Registry()
  #sources: MetricSources = {}
  readonly #requests: SlotCounter<'route' | 'method' | 'status_class'>
  readonly #duration: SlotHistogram
  readonly #upstream: SlotHistogram
  readonly #errors: Counter<'code'>
  readonly #lookups: SlotCounter<'result'>
  readonly #evictions: Counter<'reason'>
  readonly #whoami: Histogram<'outcome'>
  readonly #signing: Histogram
  readonly #rewrites: Counter<'result'>
  readonly #rewriteBytes: Counter

  constructor() {
    const registers = [this.registry]
    const sources = () => this.#sources
    this.#requests = new SlotCounter(
      {
        name: 'ory_proxy_requests_total',
        help: 'Requests answered, by route (app, ory, jwks), method and status class (1xx: WebSocket upgrades; a client that left before any answer counts as 4xx, status 499).',
        labelNames: ['route', 'method', 'status_class'],
        registers,
      },
      ROUTES.flatMap((route) => METHODS.flatMap((method) => STATUS_CLASSES.map((status_class) => ({ route, method, status_class })))),
    )
    this.#duration = new SlotHistogram({
      name: 'ory_proxy_request_duration_seconds',
      help: 'Time from a request’s arrival until its response ended (a WebSocket: until the upgrade), by route.',
      buckets: DURATION_BUCKETS,
      label: 'route',
      values: ROUTES,
    })
    this.#upstream = new SlotHistogram({
      name: 'ory_proxy_upstream_headers_duration_seconds',
      help: 'Time from handing a request to the app or Ory until its response headers arrived, by route (app, ory).',
      buckets: DURATION_BUCKETS,
      label: 'route',
      values: ROUTES,
    })
    this.registry.registerMetric(this.#duration as never)
    this.registry.registerMetric(this.#upstream as never)
    this.#errors = new Counter({
      name: 'ory_proxy_request_errors_total',
      help: 'Requests the proxy answered with an error of its own, by error code (ERR_ORY_UNAVAILABLE: the 503s of an Ory outage; ERR_CLIENT_ABORTED: the client left first).',
      labelNames: ['code'],
      registers,
    })
    this.#lookups = new SlotCounter(
      {
        name: 'ory_proxy_session_lookups_total',
        help: 'App requests with Ory credentials, by what the session cache did: hit (cached token), renew (cached session, new signature), miss (whoami asked), shared (waited for another request’s whoami call), peer (another worker’s or proxy’s answer).',
        labelNames: ['result'],
        registers,
      },
      LOOKUP_RESULTS.map((result) => ({ result })),
    )
    // Known label values start at 0, so a rate is defined from the first scrape on.
    for (const result of LOOKUP_RESULTS) this.#lookups.counter.inc({ result }, 0)
    this.#evictions = new Counter({
      name: 'ory_proxy_session_cache_evictions_total',
      help: 'Entries that left the session cache, by reason: capacity (least recently used, to make room), expired, logout.',
      labelNames: ['reason'],
      registers,
    })
    new Gauge({
      name: 'ory_proxy_session_cache_entries',
      help: 'Credential sets in the session cache now.',
      registers,
      collect() {
        this.set(sources().gate?.cachedSessions ?? 0)
      },
    })
    this.#whoami = new Histogram({
      name: 'ory_proxy_whoami_duration_seconds',
      help: 'whoami calls to Ory and their duration, by outcome: active, inactive (401/403: anonymous), timeout (--whoami-timeout), error (refused, 5xx, 429, malformed). Its _count is the number of calls.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    })
    this.#signing = new Histogram({
      name: 'ory_proxy_jwt_signing_duration_seconds',
      help: 'JWTs signed and the time each took, queueing for a signing thread included. Its _count is the number of JWTs signed.',
      buckets: SIGNING_BUCKETS,
      registers,
    })
    new Gauge({
      name: 'ory_proxy_jwt_signing_queue_depth',
      help: 'JWTs waiting for a signing thread now (beyond those being signed).',
      registers,
      collect() {
        this.set(sources().gate?.signingQueueDepth ?? 0)
      },
    })
    new Gauge({
      name: 'ory_proxy_client_connections',
      help: 'Client connections open now, by protocol (h1: HTTP/1.1, and connections whose protocol is not known yet; h2: HTTP/2).',
      labelNames: ['protocol'],
      registers,
      collect() {
        const open = sources().proxy?.clientConnections() ?? { h1: 0, h2: 0 }
        this.set({ protocol: 'h1' }, open.h1)
        this.set({ protocol: 'h2' }, open.h2)
      },
    })
    new Gauge({
      name: 'ory_proxy_websocket_tunnels',
      help: 'WebSocket tunnels open now.',
      registers,
      collect() {
        this.set(sources().proxy?.tunnels ?? 0)
      },
    })
    for (const [name, help, figure] of [
      ['ory_proxy_upstream_connections', 'Connections open in the pools to the app and Ory now, by upstream.', 'connected'],
      ['ory_proxy_upstream_pending_requests', 'Requests waiting for a connection to the app or Ory now, by upstream.', 'pending'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['upstream'],
        registers,
        collect() {
          const stats = sources().proxy?.upstreamStats()
          this.set({ upstream: 'app' }, stats?.app[figure] ?? 0)
          this.set({ upstream: 'ory' }, stats?.ory[figure] ?? 0)
        },
      })
    }
    this.#rewrites = new Counter({
      name: 'ory_proxy_rewrite_bodies_total',
      help: 'Ory response bodies considered for the URL rewrite, by result: rewritten, unchanged (no Ory URL in it), too_large (passed on unmodified), undecodable (passed on unmodified).',
      labelNames: ['result'],
      registers,
    })
    this.#rewriteBytes = new Counter({
      name: 'ory_proxy_rewrite_read_bytes_total',
      help: 'Bytes of Ory response bodies read for the URL rewrite (as received, before decoding).',
      registers,
    })
    let droppedSeen = 0
    new Counter({
      name: 'ory_proxy_log_lines_dropped_total',
      help: 'Request log lines dropped because stderr was not read fast enough, or not at all.',
      registers,
      collect() {
        const dropped = sources().log?.dropped ?? 0
        this.inc(dropped - droppedSeen)
        droppedSeen = dropped
      },
    })
    collectDefaultMetrics({ register: this.registry })
    for (const reason of ['capacity', 'expired', 'logout']) this.#evictions.inc({ reason }, 0)
    for (const outcome of ['active', 'inactive', 'timeout', 'error']) this.#whoami.zero({ outcome })
    for (const result of ['rewritten', 'unchanged', 'too_large', 'undecodable']) this.#rewrites.inc({ result }, 0)
  }

  /** What the gauges read from now on (the proxy exists only once it listens). */
  watch(sources: MetricSources): void {
    this.#sources = { ...this.#sources, ...sources }
  }

  requestEnded(request: RequestInfo, status: number): void {
    const route = request.route
    this.#requests.add(requestSlot(route, request.method, status))
    const slot = ROUTE_SLOT[route]
    this.#duration.observe(slot, (performance.now() - request.startedAt) / 1000)
    if (request.upstreamMs >= 0) this.#upstream.observe(slot, request.upstreamMs / 1000)
    if (request.session !== 'bypass') this.#lookups.add(LOOKUP_SLOT[request.session]!)
    // Rare: an error the proxy answered itself.
    if (request.errorCode !== undefined) this.#errors.inc({ code: request.errorCode })
  }

  bodyRewrite(outcome: RewriteOutcome, bytesRead: number): void {
    this.#rewrites.inc({ result: outcome })
    if (bytesRead > 0) this.#rewriteBytes.inc(bytesRead)
  }

  whoamiAnswered(outcome: WhoamiOutcome, seconds: number): void {
    this.#whoami.observe({ outcome }, seconds)
  }

  tokenSigned(seconds: number): void {
    this.#signing.observe(seconds)
  }

  sessionsEvicted(reason: EvictionReason, count: number): void {
    this.#evictions.inc({ reason }, count)
  }

  /** The metrics in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The metrics as prom-client's JSON, for a cluster primary to add up with the other workers'. */
  json(): Promise<object[]> {
    return this.registry.getMetricsAsJSON()
  }
}
