import type { Load } from './load.js'

/** The proxies a scenario can run against; each is started once and shared by the scenarios naming it. */
export type ProxyKind =
  | 'reference'
  | 'no-jwt'
  | 'jwt'
  | 'jwt-10k'
  | 'no-jwt-probe'
  | 'no-cache'
  | 'no-jwt-metrics'
  | 'jwt-metrics'
  | 'no-jwt-log'

/** The CLI flags of each ory-proxy under test (after `<origin> --sdk-url <ory>`); the reference is its own program. */
export const PROXY_FLAGS: Readonly<Record<Exclude<ProxyKind, 'reference'>, readonly string[]>> = {
  'no-jwt': ['--no-jwt'],
  jwt: [],
  // Entries must outlive the run for "the cache holds them"; tokens still renew every 54 s.
  'jwt-10k': ['--session-cache-ttl', '10m'],
  'no-jwt-probe': ['--no-jwt'],
  'no-cache': ['--session-cache-ttl', '0'],
  'no-jwt-metrics': ['--no-jwt'],
  'jwt-metrics': [],
  'no-jwt-log': ['--no-jwt'],
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
export const DISTINCT_SESSIONS = 10_000

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
   * Run the warm-up again before each round: for state that ages between rounds (a round lasts
   * longer than a token lives), so every round measures the state the scenario names.
   */
  readonly rewarmEachRound?: boolean
  /** The measurement whose req/s (same round) this one's `ratio` is taken against. */
  readonly baseline?: string
  /** Other measurements the budget compares this one with; run whenever this one runs. */
  readonly needs?: readonly string[]
}

const httpLoad = (path: string, extra: Partial<Load & { kind: 'http' }> = {}) => (base: string, seconds: number): Load => ({
  kind: 'http',
  url: `${base}${path}`,
  connections: CONNECTIONS,
  seconds,
  ...extra,
})

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
    needs: ['no-jwt'],
  },
  {
    id: 'jwt-10k',
    title: 'JWT, 10,000 distinct sessions, all cached',
    proxy: 'jwt-10k',
    load: httpLoad('/', { sessions: DISTINCT_SESSIONS }),
    // Every session asked once: the cache holds them all before the rounds. A round of the whole
    // suite takes longer than a token lives (60 s), so each round starts from fresh tokens again:
    // this scenario measures lookups among 10,000 cached sessions; signing is measured by
    // jwt-no-cache (every request signs).
    warmUp: (base) => ({ kind: 'http', url: `${base}/`, connections: CONNECTIONS, amount: DISTINCT_SESSIONS, sessions: DISTINCT_SESSIONS }),
    rewarmEachRound: true,
    baseline: 'direct',
    needs: ['no-jwt'],
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
  { id: 'direct-64k', title: 'direct to the origin, 64 KiB (baseline)', load: httpLoad('/64k') },
  { id: '64k', title: '64 KiB responses, --no-jwt', proxy: 'no-jwt', load: httpLoad('/64k'), baseline: 'direct-64k' },
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
  observability: ['no-jwt-metrics', 'jwt-warm-metrics', 'no-jwt-log'],
}
