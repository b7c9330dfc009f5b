import type { Load } from './load.js'

/** The proxies a scenario can run against; each is started once and shared by the scenarios naming it. */
export type ProxyKind =
  | 'reference'
  | 'reference-2'
  | 'reference-token'
  | 'dispatch'
  | 'go'
  | 'nginx'
  | 'no-jwt'
  | 'jwt'
  | 'jwt-10k'
  | 'no-jwt-probe'
  | 'no-cache'
  | 'workers-2'
  | 'workers-2-rr'
  | 'no-jwt-metrics'
  | 'jwt-metrics'
  | 'no-jwt-log'

/** Proxies that are programs of their own, not ory-proxy: the minimal Node pass-throughs and the peers (bench/lib/peers.ts). */
export type OtherProxy = 'reference' | 'reference-2' | 'reference-token' | 'dispatch' | 'go' | 'nginx'

/** The CLI flags of each ory-proxy under test (after `<origin> --sdk-url <ory>`). */
export const PROXY_FLAGS: Readonly<Record<Exclude<ProxyKind, OtherProxy>, readonly string[]>> = {
  'no-jwt': ['--no-jwt'],
  jwt: [],
  // Entries must outlive the run for "the cache holds them"; tokens still renew every 54 s.
  'jwt-10k': ['--session-cache-ttl', '10m'],
  'no-jwt-probe': ['--no-jwt'],
  'no-cache': ['--session-cache-ttl', '0'],
  // Workers accept connections themselves (SCHED_NONE) and balance keep-alive connections.
  'workers-2': ['--no-jwt', '--workers', '2'],
  // Node's round-robin: the primary accepts every connection and hands it to a worker over IPC.
  'workers-2-rr': ['--no-jwt', '--workers', '2'],
  'no-jwt-metrics': ['--no-jwt'],
  'jwt-metrics': [],
  'no-jwt-log': ['--no-jwt'],
}

/** Environment of a proxy under test, beside the bench's own. */
export const PROXY_ENV: Readonly<Partial<Record<ProxyKind, Readonly<Record<string, string>>>>> = {
  'workers-2-rr': { NODE_CLUSTER_SCHED_POLICY: 'rr' },
}

/** Proxies that also serve `--metrics` (on a free port of their own): every request is counted. */
export const WITH_METRICS: ReadonlySet<ProxyKind> = new Set(['no-jwt-metrics', 'jwt-metrics'])
/** Proxies started without `-q`: the default request log writes a text line per request to a pipe the bench reads. */
export const LOGGING: ReadonlySet<ProxyKind> = new Set(['no-jwt-log'])

/** Proxies whose event-loop delay is sampled (bench/probes/loop-delay.mjs preloaded). */
export const PROBED: ReadonlySet<ProxyKind> = new Set(['no-jwt-probe', 'no-cache'])

/** Concurrency of the saturating runs and of the fixed-rate latency runs. */
export const CONNECTIONS = 50
/** Requests/s for the non-saturated latency runs: well below what the proxy serves here. */
export const FIXED_RATE = 1_000
/** Beside the signing load: credentialed requests/s (each a whoami call and a signature)… */
export const SIGNING_RATE = 200
/** …and anonymous requests/s, whose p99 must not notice the signing. */
export const ANONYMOUS_RATE = 800
/**
 * Bytes of the token ory-proxy sends the app for a bench session (the `memory` run reports the
 * real one: 1,822 here), which `reference-token` adds to every request it forwards.
 */
export const TOKEN_BYTES = 1_822
export const DISTINCT_SESSIONS = 10_000

/** ory-proxy's JWT lifetime (ory proxy's 60 s) and the earliest age it renews one at (src/session/gate.ts). */
const TOKEN_LIFETIME_MS = 60_000
const TOKEN_RENEW_FROM_MS = 45_000
/** More than warming 10,000 cached sessions again takes (under 2 s here). */
const REWARM_MS = 5_000

/**
 * How long to wait, `sinceWarmMs` after a scenario's last warm-up, before warming its cached
 * sessions again for a round of `seconds`. Tokens young enough stay so through the round. A token
 * due for renewal but still valid would be sent and re-signed beside the measured load (all 10,000
 * within a few seconds: rounds of 56–67 µs a request against 43–48 with fresh tokens, in every
 * other round of the guard): those are left to expire first, and the warm-up signs them all anew.
 */
export function rewarmDelayMs(sinceWarmMs: number, seconds: number): number {
  const lastTheRound = sinceWarmMs + REWARM_MS + seconds * 1000 < TOKEN_RENEW_FROM_MS
  return lastTheRound || sinceWarmMs >= TOKEN_LIFETIME_MS ? 0 : TOKEN_LIFETIME_MS - sinceWarmMs
}

/** One thing measured in every round: a load against the origin directly or through a proxy. */
export interface Measurement {
  readonly id: string
  /** What it measures, for the table's legend and the README. */
  readonly title: string
  /** Undefined: straight to the origin (a baseline). */
  readonly proxy?: ProxyKind
  /** The load for one round; `base` is `http://127.0.0.1:<port>`. */
  load(base: string, seconds: number): Load
  /** Run once before the rounds (caches filled, connections open, JIT warm). */
  warmUp?(base: string): Load
  /**
   * Run the warm-up again before each round, once {@link rewarmDelayMs} allows: for cached
   * sessions, whose tokens age between rounds (a round lasts longer than a token lives), so every
   * round measures the fresh tokens the scenario names.
   */
  readonly rewarmEachRound?: boolean
  /** The measurement whose req/s (same round) this one's `ratio` is taken against. */
  readonly baseline?: string
  /** Other measurements the budget compares this one with; run whenever this one runs. */
  readonly needs?: readonly string[]
  /** The measurement whose proxy CPU per request (same round) this one's `cpuRatio` is taken against. */
  readonly cpuBaseline?: string
  /**
   * A cluster: how many client connections each process of the proxy holds is read 0.25 s into
   * the load (50 connections opened at once) and 0.5 s before its end.
   */
  readonly connectionSplit?: boolean
  /**
   * Measures what a second core brings (`--workers 2` and its comparisons): with `--pin`, its
   * proxy and the bench's roles keep every core.
   */
  readonly allCores?: boolean
}

const httpLoad = (path: string, extra: Partial<Load & { kind: 'http' }> = {}) => (base: string, seconds: number): Load => ({
  kind: 'http',
  url: `${base}${path}`,
  connections: CONNECTIONS,
  seconds,
  ...extra,
})

/** 50 keep-alive connections at full speed through the client's undici loop (see HttpLoad.client). */
const keepAlive = (base: string, seconds: number): Load => ({ kind: 'http', url: `${base}/`, connections: CONNECTIONS, seconds, client: 'undici' })

/** A new TCP connection for every request (`Connection: close`), 50 at a time. */
const reconnecting = (base: string, seconds: number): Load => ({ kind: 'http', url: `${base}/`, connections: CONNECTIONS, seconds, reconnect: true })

/**
 * One response size through the peers (Go's httputil, nginx), the minimal Node pass-through, ours
 * with `--no-jwt` and ours with a warm JWT session: what issue 12's targets compare. The 1 KiB
 * reference, `--no-jwt` and JWT runs exist already (`reference`, `no-jwt`, `jwt-warm`), so `suffix`
 * '' adds only the peers.
 */
function bySize(size: string, suffix: string, path: string, direct: string, ours: string, jwt: string): Measurement[] {
  const peers = [`go${suffix}`, `nginx${suffix}`]
  // Large responses through wrk (see HttpLoad.client); 1 KiB through autocannon, as its other runs.
  const client = suffix === '' ? {} : ({ client: 'wrk' } as const)
  const all: Measurement[] = [
    { id: `go${suffix}`, title: `Go net/http/httputil ReverseProxy, ${size}`, proxy: 'go', load: httpLoad(path, client), baseline: direct },
    { id: `nginx${suffix}`, title: `nginx (Debian's, one worker, keep-alive upstream), ${size}`, proxy: 'nginx', load: httpLoad(path, client), baseline: direct },
  ]
  if (suffix === '') return all
  return [
    { id: `reference${suffix}`, title: `minimal pass-through proxy, ${size}`, proxy: 'reference', load: httpLoad(path, client), baseline: direct },
    { id: `dispatch${suffix}`, title: `minimal dispatch pass-through (the floor of node:http + undici), ${size}`, proxy: 'dispatch', load: httpLoad(path, client), baseline: direct },
    ...all,
    {
      id: ours,
      title: `${size} responses, --no-jwt`,
      proxy: 'no-jwt',
      load: httpLoad(path, client),
      baseline: direct,
      needs: [`reference${suffix}`, `dispatch${suffix}`, ...peers],
    },
    {
      id: jwt,
      title: `${size} responses, JWT, one session, warm cache`,
      proxy: 'jwt',
      load: httpLoad(path, { ...client, session: 0 }),
      baseline: direct,
      needs: [ours, ...peers],
    },
  ]
}

const beside = (base: string, seconds: number): Load => ({
  kind: 'parallel',
  loads: [
    { kind: 'http', url: `${base}/`, connections: 10, seconds, rate: SIGNING_RATE, sessions: DISTINCT_SESSIONS },
    { kind: 'http', url: `${base}/`, connections: CONNECTIONS, seconds, rate: ANONYMOUS_RATE },
  ],
})

export const MEASUREMENTS: readonly Measurement[] = [
  { id: 'direct', title: 'direct to the origin, 1 KiB (baseline)', load: httpLoad('/') },
  { id: 'reference', title: 'minimal pass-through proxy (node:http + one undici Pool)', proxy: 'reference', load: httpLoad('/'), baseline: 'direct' },
  { id: 'no-jwt', title: 'ory-proxy --no-jwt', proxy: 'no-jwt', load: httpLoad('/'), baseline: 'direct', needs: ['reference'] },
  {
    id: 'jwt-warm',
    title: 'JWT, one session, warm cache',
    proxy: 'jwt',
    load: httpLoad('/', { session: 0 }),
    baseline: 'direct',
    needs: ['no-jwt', 'reference-token'],
  },
  {
    id: 'reference-token',
    title: `minimal pass-through sending the app a ${TOKEN_BYTES.toLocaleString('en')}-byte token, the session cookie sent: the floor of the JWT path`,
    proxy: 'reference-token',
    load: httpLoad('/', { session: 0 }),
    baseline: 'direct',
    needs: ['reference'],
  },
  {
    id: 'jwt-10k',
    title: 'JWT, 10,000 distinct sessions, all cached',
    proxy: 'jwt-10k',
    load: httpLoad('/', { sessions: DISTINCT_SESSIONS }),
    // Every session asked once: the cache holds them all before the rounds. A round of the whole
    // suite takes longer than a token lives (60 s), so each round starts from fresh tokens again
    // (rewarmDelayMs): this scenario measures lookups among 10,000 cached sessions; signing is
    // measured by jwt-no-cache (every request signs).
    warmUp: (base) => ({ kind: 'http', url: `${base}/`, connections: CONNECTIONS, amount: DISTINCT_SESSIONS, sessions: DISTINCT_SESSIONS }),
    rewarmEachRound: true,
    baseline: 'direct',
    needs: ['no-jwt', 'reference-token'],
  },
  {
    id: 'no-jwt-metrics',
    title: 'ory-proxy --no-jwt --metrics: every request counted (compared with no-jwt)',
    proxy: 'no-jwt-metrics',
    load: httpLoad('/'),
    baseline: 'direct',
    needs: ['no-jwt'],
  },
  {
    id: 'jwt-warm-metrics',
    title: 'JWT, one session, warm cache, --metrics (compared with jwt-warm)',
    proxy: 'jwt-metrics',
    load: httpLoad('/', { session: 0 }),
    baseline: 'direct',
    needs: ['jwt-warm'],
  },
  {
    id: 'no-jwt-log',
    title: 'ory-proxy --no-jwt without -q: the default request log, a text line per request to a pipe (compared with no-jwt)',
    proxy: 'no-jwt-log',
    load: httpLoad('/'),
    baseline: 'direct',
    needs: ['no-jwt'],
  },
  {
    id: 'beside-no-jwt',
    title: `--no-jwt: ${SIGNING_RATE} req/s with cookies + ${ANONYMOUS_RATE} anonymous req/s (comparison)`,
    proxy: 'no-jwt-probe',
    load: beside,
  },
  {
    id: 'jwt-no-cache',
    title: `JWT, cache off: ${SIGNING_RATE} req/s each a whoami + signature, ${ANONYMOUS_RATE} anonymous req/s beside`,
    proxy: 'no-cache',
    load: beside,
    needs: ['beside-no-jwt'],
  },
  {
    id: 'h2c',
    title: 'h2c (prior knowledge), one session, 50 concurrent streams, --no-jwt',
    proxy: 'no-jwt',
    load: (base, seconds) => ({ kind: 'h2', url: base, streams: CONNECTIONS, seconds }),
    baseline: 'direct',
    needs: ['no-jwt'],
  },
  // Issue 11: --workers 2 against one process. Keep-alive runs use the client's undici loop, since a
  // cluster sheds connections to balance them and autocannon miscounts after a server's close.
  { id: 'direct-loop', title: 'direct to the origin, the undici keep-alive loop (baseline of the workers runs)', load: keepAlive, allCores: true },
  { id: 'workers-1', title: '--no-jwt, one process (--workers 1), the undici keep-alive loop', proxy: 'no-jwt', load: keepAlive, baseline: 'direct-loop', allCores: true },
  {
    id: 'workers-2',
    title: '--no-jwt --workers 2 (workers accept: SCHED_NONE, keep-alive connections balanced)',
    proxy: 'workers-2',
    load: keepAlive,
    baseline: 'direct-loop',
    needs: ['workers-1', 'reference-loop-2'],
    cpuBaseline: 'workers-1',
    connectionSplit: true,
    allCores: true,
  },
  {
    id: 'workers-2-rr',
    title: '--no-jwt --workers 2 with NODE_CLUSTER_SCHED_POLICY=rr (the primary accepts and hands out)',
    proxy: 'workers-2-rr',
    load: keepAlive,
    baseline: 'direct-loop',
    needs: ['workers-1'],
    cpuBaseline: 'workers-1',
    connectionSplit: true,
    allCores: true,
  },
  // The floor of the two above: the minimal pass-through, one process against two (round-robin).
  { id: 'reference-loop-1', title: 'minimal pass-through, one process, the undici keep-alive loop', proxy: 'reference', load: keepAlive, baseline: 'direct-loop', allCores: true },
  {
    id: 'reference-loop-2',
    title: 'minimal pass-through in two cluster workers (round-robin): the floor of --workers 2',
    proxy: 'reference-2',
    load: keepAlive,
    baseline: 'direct-loop',
    needs: ['reference-loop-1'],
    cpuBaseline: 'reference-loop-1',
    connectionSplit: true,
    allCores: true,
  },
  { id: 'close-direct', title: 'direct, a new connection per request (baseline)', load: reconnecting, allCores: true },
  { id: 'close-workers-1', title: '--no-jwt, one process, a new connection per request', proxy: 'no-jwt', load: reconnecting, baseline: 'close-direct', allCores: true },
  {
    id: 'close-workers-2',
    title: '--no-jwt --workers 2 (SCHED_NONE), a new connection per request',
    proxy: 'workers-2',
    load: reconnecting,
    baseline: 'close-direct',
    needs: ['close-workers-1'],
    cpuBaseline: 'close-workers-1',
    allCores: true,
  },
  {
    id: 'close-workers-2-rr',
    title: '--no-jwt --workers 2, round-robin, a new connection per request',
    proxy: 'workers-2-rr',
    load: reconnecting,
    baseline: 'close-direct',
    needs: ['close-workers-1'],
    cpuBaseline: 'close-workers-1',
    allCores: true,
  },
  ...bySize('1 KiB', '', '/', 'direct', 'no-jwt', 'jwt-warm'),
  { id: 'direct-64k', title: 'direct to the origin, 64 KiB (baseline; wrk)', load: httpLoad('/64k', { client: 'wrk' }) },
  ...bySize('64 KiB', '-64k', '/64k', 'direct-64k', '64k', 'jwt-64k'),
  { id: 'direct-1m', title: 'direct to the origin, 1 MiB (baseline; wrk)', load: httpLoad('/1m', { client: 'wrk' }) },
  ...bySize('1 MiB', '-1m', '/1m', 'direct-1m', '1m', 'jwt-1m'),
  { id: 'fixed-direct', title: `direct, fixed ${FIXED_RATE} req/s (baseline)`, load: httpLoad('/', { rate: FIXED_RATE }) },
  {
    id: 'fixed-reference',
    title: `minimal pass-through proxy at a fixed ${FIXED_RATE} req/s: the floor of added latency`,
    proxy: 'reference',
    load: httpLoad('/', { rate: FIXED_RATE }),
    baseline: 'fixed-direct',
  },
  {
    id: 'fixed-no-jwt',
    title: `--no-jwt at a fixed ${FIXED_RATE} req/s: added latency`,
    proxy: 'no-jwt',
    load: httpLoad('/', { rate: FIXED_RATE }),
    baseline: 'fixed-direct',
  },
  {
    id: 'fixed-jwt',
    title: `JWT warm at a fixed ${FIXED_RATE} req/s: added latency`,
    proxy: 'jwt',
    load: httpLoad('/', { rate: FIXED_RATE, session: 0 }),
    baseline: 'fixed-direct',
  },
]

/** Scenario names `--only` accepts beyond the measurement ids: groups, and the non-load scenarios. */
export const GROUPS: Readonly<Record<string, readonly string[]>> = {
  latency: ['fixed-reference', 'fixed-no-jwt', 'fixed-jwt'],
  'no-cache': ['jwt-no-cache'],
  // Issue 11: one process against two workers, both schedulings, keep-alive and a new connection per request.
  workers: ['workers-2', 'workers-2-rr', 'reference-loop-2', 'close-workers-2', 'close-workers-2-rr'],
  observability: ['no-jwt-metrics', 'jwt-warm-metrics', 'no-jwt-log'],
  // Issue 12: the peers beside ours at 1 KiB, 64 KiB and 1 MiB.
  peers: ['go', 'nginx', 'no-jwt', 'jwt-warm', '64k', 'jwt-64k', '1m', 'jwt-1m'],
}
