import type { KeyObject, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { egressProxyFor } from './egress/proxy-env.js'
import { ConfigError } from './errors.js'
import { crypto } from './node-builtins.js'

/** Named defaults; the CLI flags and the README read them from here. */
export const DEFAULTS = Object.freeze({
  port: 4000,
  /** ory proxy v1.3.2 raised every timeout to 120 s because dev servers compile on first request. */
  upstreamTimeoutMs: 120_000,
  upstreamConnectTimeoutMs: 10_000,
  /** Idle time allowed between two body chunks from an upstream; 0 keeps SSE and long polls open. */
  upstreamBodyTimeoutMs: 0,
  /** ory proxy's ReadHeaderTimeout: a request head must arrive within this. */
  requestHeadersTimeoutMs: 5_000,
  /** ory proxy's ReadTimeout: a whole request (head and body) must arrive within this. */
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  /** ory proxy's graceful shutdown deadline. */
  shutdownTimeoutMs: 5_000,
  /** Upstream connections kept per origin. */
  upstreamConnections: 128,
  /** How long a whoami answer is reused: also the bound on how late a revoked session still gets a JWT. */
  sessionCacheTtlMs: 5_000,
  /** Credential sets whose answers are cached at once (least recently used go first). */
  sessionCacheSize: 10_000,
  /** Total time for one whoami exchange before a credentialed request gets 503. */
  whoamiTimeoutMs: 3_000,
  /** Longest `Authorization: Bearer <jwt>` value sent to the app; nginx takes 8 KiB per header line. */
  jwtHeaderBudgetBytes: 8_192,
  /**
   * The request head (request line and header lines) the app is assumed to take whole: Node's
   * `http.maxHeaderSize`, under most dev servers. A JWT that would push a request past it goes
   * without its session claim (checklist e7), not on to a 431.
   */
  appRequestHeadBytes: 16_384,
  /**
   * A WebSocket tunnel with no byte in either direction for this long is closed. Dev servers ping
   * far more often (Vite every 30 s); nginx's 60 s default is a known cause of dropped sockets.
   */
  tunnelIdleTimeoutMs: 600_000,
  /** ory proxy v1.3.1: the temporary project API key expires after 12 h even if it is never deleted. */
  apiKeyExpiry: '12h',
  /** One Ory console API call (connect, answer and body); the Ory CLI allows 30 s. */
  consoleTimeoutMs: 10_000,
  /** How long start-up waits for a TCP connection to the app before warning that it is not up. */
  appProbeTimeoutMs: 1_000,
})

/** A certificate chain and its private key, PEM-encoded, for `--https`. */
export interface TlsMaterial {
  readonly cert: string
  readonly key: string
}

export interface Timeouts {
  readonly upstreamConnectMs: number
  readonly upstreamHeadersMs: number
  readonly upstreamBodyMs: number
  readonly requestHeadersMs: number
  readonly requestMs: number
  readonly keepAliveMs: number
  readonly shutdownMs: number
  readonly tunnelIdleMs: number
}

/** An upstream origin plus the path prefix every forwarded path is appended to. */
export interface Upstream {
  /** `scheme://host[:port]`, no trailing slash. */
  readonly origin: string
  /** `host[:port]` as it goes into a Host header (default ports omitted). */
  readonly host: string
  readonly hostname: string
  readonly port: number
  readonly secure: boolean
  /** The URL's path without its trailing slash: '' or '/base'. */
  readonly pathPrefix: string
  /** The forward proxy connections go through (`HTTP(S)_PROXY`, `NO_PROXY`), or undefined: direct. */
  readonly proxy: string | undefined
}

export type OrySource = 'project' | 'sdk-url' | 'local'

export interface OryEndpoint extends Upstream {
  readonly source: OrySource
  /** The source as the user gave it, for messages (`--project my-slug`). */
  readonly label: string
}

export interface PublishUrl {
  readonly origin: string
  readonly host: string
  readonly hostname: string
  readonly secure: boolean
}

/** `text`: one short line per request, as `ory proxy` prints them; `json`: one JSON object per request. */
export type RequestLogFormat = 'text' | 'json'

export const REQUEST_LOG_FORMATS: readonly RequestLogFormat[] = ['text', 'json']

/** `--metrics [host:]port`: the metrics and health listener's address. */
export interface MetricsAddress {
  readonly host: string
  readonly port: number
}

/** The metrics listener binds loopback unless told otherwise: metrics are not for the internet. */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

/** `http://host:port` of the metrics listener (an IPv6 host in brackets). */
export function metricsOrigin(address: MetricsAddress, port = address.port): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`
}

export interface ObserveConfig {
  /** The request log's format; undefined: no line per request (`-q`). */
  readonly requestLog: RequestLogFormat | undefined
  /** `--metrics`; undefined: no metrics listener, nothing counted. */
  readonly metrics: MetricsAddress | undefined
}

export interface CorsConfig {
  /** True when no `--allowed-cors-origins` is given (ory proxy's default) or one of them is a bare `*`. */
  readonly allowAll: boolean
  readonly origins: readonly string[]
  readonly additionalHeaders: readonly string[]
}

/** Everything the proxy needs, validated and frozen; built once by {@link buildConfig}. */
export interface ProxyConfig {
  readonly listen: { readonly port: number; readonly host: string | undefined }
  readonly app: Upstream
  readonly ory: OryEndpoint
  readonly publish: PublishUrl
  readonly cookieDomain: string | undefined
  readonly defaultRedirectUrl: string
  readonly cors: CorsConfig
  readonly rewriteHost: boolean
  readonly debug: boolean
  readonly observe: ObserveConfig
  readonly timeouts: Timeouts
  readonly upstreamConnections: number
  /** Serve HTTPS (h2 and HTTP/1.1 by ALPN) with this certificate; undefined serves plain h1 and h2c. */
  readonly tls: TlsMaterial | undefined
  /** Let the app pool speak HTTP/2: by ALPN for https apps, with prior knowledge (h2c) for http ones. */
  readonly appH2: boolean
}

/** What a caller (the CLI or a test) provides; everything but the URLs has a default. */
export interface ProxyOptions {
  applicationUrl: string
  publishUrl?: string | undefined
  /** 0 picks a free port (tests); the CLI only passes 1–65535. */
  port?: number | undefined
  host?: string | undefined
  ory: { url: string; source: OrySource; label: string }
  cookieDomain?: string | undefined
  defaultRedirectUrl?: string | undefined
  allowedCorsOrigins?: readonly string[] | undefined
  additionalCorsHeaders?: readonly string[] | undefined
  rewriteHost?: boolean | undefined
  debug?: boolean | undefined
  requestLog?: RequestLogFormat | undefined
  /** `--metrics`: `[host:]port` as given. */
  metrics?: string | undefined
  timeouts?: Partial<Timeouts> | undefined
  upstreamConnections?: number | undefined
  tls?: TlsMaterial | undefined
  appH2?: boolean | undefined
  /** Where `HTTP(S)_PROXY` and `NO_PROXY` are read from (default: the process environment). */
  proxyEnv?: Readonly<Record<string, string | undefined>> | undefined
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '::', '[::]'])

/** Validates options into a frozen {@link ProxyConfig}; throws {@link ConfigError} naming the bad input. */
export function buildConfig(options: ProxyOptions): ProxyConfig {
  const port = options.port ?? DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`--port must be an integer from 1 to 65535, got ${port}`)
  }
  const app = parseUpstream(options.applicationUrl, 'application-url', options.proxyEnv)
  const ory: OryEndpoint = {
    ...parseUpstream(options.ory.url, options.ory.label, options.proxyEnv),
    source: options.ory.source,
    label: options.ory.label,
  }
  const tls = parseTls(options.tls)
  // The default publish-url follows the scheme the proxy serves.
  const publish = parsePublishUrl(options.publishUrl ?? `${tls ? 'https' : 'http'}://localhost:${port}`)
  if (port !== 0) {
    rejectSelfReference(app, port, 'application-url')
    rejectSelfReference(ory, port, `the Ory endpoint (${ory.label})`)
  }
  const metrics = options.metrics === undefined ? undefined : parseMetricsAddress(options.metrics)
  if (metrics !== undefined && metrics.port === port) {
    throw new ConfigError(`--metrics must not use the proxy's port ${port}: metrics get a listener of their own`)
  }
  return deepFreeze({
    listen: { port, host: options.host },
    app,
    ory,
    publish,
    cookieDomain: parseCookieDomain(options.cookieDomain),
    defaultRedirectUrl: parseRedirectUrl(options.defaultRedirectUrl, publish.origin),
    cors: parseCors(options.allowedCorsOrigins ?? [], options.additionalCorsHeaders ?? []),
    rewriteHost: options.rewriteHost ?? false,
    debug: options.debug ?? false,
    observe: { requestLog: options.requestLog, metrics },
    timeouts: {
      upstreamConnectMs: DEFAULTS.upstreamConnectTimeoutMs,
      upstreamHeadersMs: DEFAULTS.upstreamTimeoutMs,
      upstreamBodyMs: DEFAULTS.upstreamBodyTimeoutMs,
      requestHeadersMs: DEFAULTS.requestHeadersTimeoutMs,
      requestMs: DEFAULTS.requestTimeoutMs,
      keepAliveMs: DEFAULTS.keepAliveTimeoutMs,
      shutdownMs: DEFAULTS.shutdownTimeoutMs,
      tunnelIdleMs: DEFAULTS.tunnelIdleTimeoutMs,
      ...options.timeouts,
    },
    upstreamConnections: options.upstreamConnections ?? DEFAULTS.upstreamConnections,
    tls,
    appH2: options.appH2 ?? false,
  })
}

/** Parses an absolute http(s) URL into an {@link Upstream}; its path becomes the prefix. */
export function parseUpstream(text: string, name: string, env?: Readonly<Record<string, string | undefined>>): Upstream {
  const url = parseHttpUrl(text, name)
  if (url.search || url.hash) throw new ConfigError(`${name} must not have a query or fragment, got "${text}"`)
  const secure = url.protocol === 'https:'
  return {
    origin: url.origin,
    host: url.host,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    secure,
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    proxy: egressProxyFor(url, env)?.href,
  }
}

function parsePublishUrl(text: string): PublishUrl {
  const url = parseHttpUrl(text, 'publish-url')
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(`publish-url must not have a path, query or fragment, got "${text}"`)
  }
  return { origin: url.origin, host: url.host, hostname: url.hostname, secure: url.protocol === 'https:' }
}

/** The certificate and key must parse as PEM and belong together, or TLS would fail on the first handshake. */
function parseTls(tls: TlsMaterial | undefined): TlsMaterial | undefined {
  if (tls === undefined) return undefined
  const { createPrivateKey, X509Certificate: Certificate } = crypto()
  let cert: X509Certificate
  try {
    cert = new Certificate(tls.cert)
  } catch (cause) {
    throw new ConfigError('the TLS certificate (--tls-cert) is not a PEM X.509 certificate', { cause })
  }
  let key: KeyObject
  try {
    key = createPrivateKey(tls.key)
  } catch (cause) {
    throw new ConfigError('the TLS key (--tls-key) is not a PEM private key', { cause })
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError('the TLS key (--tls-key) does not belong to the certificate (--tls-cert)')
  }
  return { cert: tls.cert, key: tls.key }
}

/** Parses an absolute http(s) URL with a host and no credentials; throws {@link ConfigError} naming `name`. */
export function parseHttpUrl(text: string, name: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new ConfigError(`${name} must be an absolute http(s) URL such as http://localhost:3000, got "${text}"`, {
      cause,
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must use http or https, got "${text}"`)
  }
  if (url.username || url.password) throw new ConfigError(`${name} must not contain credentials, got "${text}"`)
  if (!url.hostname) throw new ConfigError(`${name} has no host, got "${text}"`)
  return url
}

/** An upstream on this machine at the proxy's own port would send every request back to the proxy. */
function rejectSelfReference(upstream: Upstream, port: number, name: string): void {
  if (upstream.port === port && LOOPBACK_NAMES.has(upstream.hostname)) {
    throw new ConfigError(`${name} ${upstream.origin} is the proxy itself (port ${port}); point it at another port`)
  }
}

/** `9464`, `0.0.0.0:9464`, `localhost:9464` or `[::1]:9464`; the host defaults to loopback. */
export function parseMetricsAddress(text: string): MetricsAddress {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text.trim())
  const port = match === null ? Number.NaN : Number(match[2])
  if (match === null || !(port >= 1 && port <= 65_535)) {
    throw new ConfigError(`--metrics must be [host:]port with a port from 1 to 65535, e.g. 9464 or 0.0.0.0:9464, got "${text}"`)
  }
  const host = match[1] === undefined ? DEFAULT_METRICS_HOST : match[1].replace(/^\[|\]$/g, '')
  if (match[1]?.startsWith('[') && isIP(host) !== 6) throw new ConfigError(`--metrics host ${match[1]} is not an IPv6 address`)
  return { host, port }
}

function parseCookieDomain(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined
  // ory/x strips the port and Go's cookie writer drops a leading dot.
  const domain = text.replace(/^\./, '').replace(/:\d*$/, '').toLowerCase()
  if (!/^[a-z0-9.-]+$/.test(domain) || domain.startsWith('.') || domain.endsWith('.') || isIP(domain) === 6) {
    throw new ConfigError(`--cookie-domain must be a host name such as example.com, got "${text}"`)
  }
  return domain
}

function parseRedirectUrl(text: string | undefined, fallback: string): string {
  if (text === undefined || text === '') return fallback
  // ory proxy accepts relative URLs here (pflag's url type).
  if (text.startsWith('/') && !text.startsWith('//') && !text.startsWith('/\\')) return text
  return parseHttpUrl(text, '--default-redirect-url').href
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function parseCors(origins: readonly string[], headers: readonly string[]): CorsConfig {
  const list = splitList(origins)
  const normalized: string[] = []
  for (const origin of list) {
    if (origin === '*') continue
    normalized.push(parseCorsOrigin(origin))
  }
  for (const header of splitList(headers)) {
    if (header !== '*' && !TOKEN.test(header.replaceAll('*', 'x'))) {
      throw new ConfigError(`--additional-cors-headers must be header names, got "${header}"`)
    }
  }
  return {
    allowAll: list.length === 0 || list.includes('*'),
    origins: normalized,
    additionalHeaders: splitList(headers).map((h) => h.toLowerCase()),
  }
}

/** `https://*.example.org` style origins: scheme, host, optional port, at most one `*`. */
function parseCorsOrigin(origin: string): string {
  const match = /^(https?):\/\/([^/?#]+)\/?$/i.exec(origin)
  const stars = origin.split('*').length - 1
  if (!match || stars > 1 || !/^[a-z0-9.*:[\]-]+$/i.test(match[2]!)) {
    throw new ConfigError(
      `--allowed-cors-origins must be origins such as https://app.example.org or https://*.example.org, got "${origin}"`,
    )
  }
  return `${match[1]!.toLowerCase()}://${match[2]!.toLowerCase()}`
}

/** Flags may be repeated or comma-separated, as pflag's string slices are. */
function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '')
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
