import { DEFAULTS, REQUEST_LOG_FORMATS } from './config.js'

/**
 * One flag of `ory-proxy start`: what oclif declares (summary, env, default, bounds) and what the
 * programmatic {@link StartOptions} type is derived from, so the two cannot drift.
 */
export interface FlagSpec {
  readonly kind: 'string' | 'integer' | 'boolean'
  readonly summary: string
  /** The environment variable the command line reads it from (the programmatic start does not). */
  readonly env?: string
  readonly default?: string | number | boolean
  /** What `--help` and the README say when there is no default value. */
  readonly shownDefault?: string
  readonly char?: 'c' | 'q' | 'y'
  readonly multiple?: true
  readonly min?: number
  readonly max?: number
  readonly allowNo?: true
  /** The only values a string flag takes. */
  readonly options?: readonly string[]
  /** How `--help` shows the value (`[host:]port`). */
  readonly helpValue?: string
  /** Only the command line has it: prompts, the browser, deprecated switches. */
  readonly cliOnly?: true
}

/** Every flag of `ory-proxy start`, in `--help` order. */
export const START_FLAGS = {
    workers: {
      kind: 'string',
      summary: 'Serve from this many processes (node:cluster), sharing one key and one session cache; auto = one per CPU.',
      env: 'ORY_PROXY_WORKERS',
      default: '1',
    },
    port: {
      kind: 'integer',
      summary: 'Port to listen on (all interfaces). A $PORT that is no port number is ignored, with a warning.',
      env: 'PORT',
      default: DEFAULTS.port,
      min: 1,
      max: 65_535,
    },
    project: {
      kind: 'string',
      summary:
        'Ory Network project: its slug, its ID, or the start of either (IDs and prefixes are looked up with an API key). $ORY_PROJECT_SLUG works too.',
      env: 'ORY_PROJECT',
      shownDefault: 'selected_project of --config',
    },
    'sdk-url': {
      kind: 'string',
      summary: 'Any Ory-compatible API (self-hosted Kratos, a local server) to serve under /.ory. $ORY_KRATOS_URL works too.',
      env: 'ORY_SDK_URL',
      shownDefault: 'none',
    },
    'identity-store': {
      kind: 'string',
      summary: 'Without --project/--sdk-url: JSON file the built-in identity server keeps identities and sessions in.',
      shownDefault: 'memory',
    },
    'identity-schema': {
      kind: 'string',
      summary: 'Without --project/--sdk-url: Kratos identity schema (JSON) for the built-in identity server.',
      shownDefault: 'traits.email',
    },
    identities: {
      kind: 'string',
      summary: "Without --project/--sdk-url: JSON array of identities to create at start (the admin API's create bodies).",
      shownDefault: 'none',
    },
    'identity-admin-token': {
      kind: 'string',
      summary: "Without --project/--sdk-url: bearer token of the built-in identity server's admin API (at least 8 characters).",
      env: 'ORY_PROXY_IDENTITY_ADMIN_TOKEN',
      shownDefault: 'random, in a 0600 file whose path is printed',
    },
    'identity-admin-port': {
      kind: 'integer',
      summary: "Without --project/--sdk-url: port of the built-in identity server's admin API (127.0.0.1), e.g. Kratos' 4434.",
      shownDefault: 'a free port',
      min: 1,
      max: 65_535,
    },
    workspace: {
      kind: 'string',
      summary: 'Ory Network workspace ID or name (or the start of either), to narrow the project search.',
      env: 'ORY_WORKSPACE',
      shownDefault: 'selected_workspace of --config',
    },
    config: {
      kind: 'string',
      char: 'c',
      summary: "The Ory CLI's config file: selected project and workspace, and its login (used when flags and env say nothing).",
      env: 'ORY_CONFIG_PATH',
      shownDefault: '~/.ory-cloud.json',
    },
    'cookie-domain': {
      kind: 'string',
      summary: 'Domain for every Set-Cookie passing through.',
      shownDefault: 'host-only cookies for the publish-url',
    },
    'default-redirect-url': {
      kind: 'string',
      summary: 'Where the browser goes after login or registration (Ory redirects to /ui/welcome).',
      shownDefault: 'the publish-url',
    },
    'allowed-cors-origins': {
      kind: 'string',
      summary: 'Allowed CORS origins, repeatable or comma-separated; * wildcards like https://*.example.org.',
      multiple: true,
      shownDefault: 'every origin',
    },
    'additional-cors-headers': {
      kind: 'string',
      summary: 'Extra request headers allowed by CORS, repeatable or comma-separated; X-* wildcards allowed.',
      multiple: true,
      shownDefault: 'none',
    },
    'rewrite-host': {
      kind: 'boolean',
      summary: "Send the app its own host in the Host header instead of the browser's.",
      default: false,
    },
    'no-jwt': {
      kind: 'boolean',
      summary: 'Do not ask Ory for sessions or issue JWTs: the fastest start, for CI.',
      default: false,
    },
    'jwk-file': {
      kind: 'string',
      summary: 'JWK or JWKS file holding the ES256 (P-256) private key to sign with, so several proxies share one key.',
      shownDefault: 'a new key per start',
    },
    'session-store': {
      kind: 'string',
      summary:
        'Redis URL (redis:// or rediss://, with password and db) where several proxies share the session cache and the signing key.',
      env: 'ORY_PROXY_SESSION_STORE',
      shownDefault: "none: this proxy's own cache",
    },
    'session-cache-ttl': {
      kind: 'string',
      summary: 'How long a whoami answer is reused (0 = ask Ory on every request); also how late a revoked session can still get a JWT.',
      default: `${DEFAULTS.sessionCacheTtlMs / 1000}s`,
    },
    'session-cache-size': {
      kind: 'integer',
      summary: 'How many credential sets the session cache holds (least recently used go first).',
      default: DEFAULTS.sessionCacheSize,
      min: 1,
    },
    'whoami-timeout': {
      kind: 'string',
      summary: 'Total time for Ory to answer /sessions/whoami before a request with credentials gets 503.',
      default: `${DEFAULTS.whoamiTimeoutMs / 1000}s`,
    },
    https: {
      kind: 'boolean',
      summary: 'Serve HTTPS: HTTP/2 and HTTP/1.1 on the one port (ALPN). Without --tls-cert, a self-signed certificate for localhost is made.',
      default: false,
    },
    'tls-cert': {
      kind: 'string',
      summary: 'PEM certificate (chain) to serve HTTPS with; needs --tls-key, implies --https.',
      shownDefault: 'a self-signed certificate with --https',
    },
    'tls-key': {
      kind: 'string',
      summary: 'PEM private key of --tls-cert.',
      shownDefault: 'none',
    },
    'dev-cert': {
      kind: 'string',
      summary: 'Keep the development certificate in this file (key in <name>-key.pem) and reuse it, so a browser trusts it once; implies --https.',
      shownDefault: 'in memory, a new one per start',
    },
    'app-h2': {
      kind: 'boolean',
      summary: 'Talk HTTP/2 to the app: negotiated (ALPN) for an https app, prior knowledge (h2c) for an http one.',
      default: false,
    },
    'upstream-timeout': {
      kind: 'string',
      summary: 'How long the app or Ory may take to send response headers before the client gets 504.',
      default: `${DEFAULTS.upstreamTimeoutMs / 1000}s`,
    },
    'api-key-expiry': {
      kind: 'string',
      summary: 'Lifetime of the temporary project API key made at start and deleted on shutdown (0 = never expires).',
      default: DEFAULTS.apiKeyExpiry,
    },
    open: {
      kind: 'boolean',
      cliOnly: true,
      summary: 'Open the publish-url in the default browser once the proxy is ready (a failure is only a warning).',
      default: false,
    },
    'log-format': {
      kind: 'string',
      summary: 'One line per request on stderr: text (as ory proxy prints them) or json (one object per request, for log shippers).',
      env: 'ORY_PROXY_LOG_FORMAT',
      options: REQUEST_LOG_FORMATS,
      shownDefault: 'text; none with -q',
    },
    metrics: {
      kind: 'string',
      summary: 'Serve Prometheus metrics at /metrics, and /health/alive and /health/ready, on this [host:]port (host 127.0.0.1 unless given).',
      env: 'ORY_PROXY_METRICS',
      helpValue: '[host:]port',
      shownDefault: 'off',
    },
    debug: {
      kind: 'boolean',
      summary: 'Log one JSON line per request, and every CORS and rewrite decision, on stderr.',
      default: false,
    },
    quiet: {
      kind: 'boolean',
      char: 'q',
      summary: 'Print only one ready line (and warnings); never prompt.',
      default: false,
    },
    yes: {
      kind: 'boolean',
      cliOnly: true,
      char: 'y',
      summary: 'Answer yes to every confirmation (e.g. starting while the app is not reachable yet).',
      default: false,
    },
    dev: {
      kind: 'boolean',
      cliOnly: true,
      summary: 'Deprecated: has no effect (accepted for ory proxy compatibility). Default: true.',
      default: true,
      allowNo: true,
    },
} as const satisfies Readonly<Record<string, FlagSpec>>

export type StartFlagName = keyof typeof START_FLAGS

/** `identity-admin-token` → `identityAdminToken`. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S

type ValueOf<F> = F extends { readonly kind: 'boolean' }
  ? boolean
  : F extends { readonly kind: 'integer' }
    ? number
    : F extends { readonly multiple: true }
      ? readonly string[]
      : string

type ProgrammaticFlag = { [K in StartFlagName]: (typeof START_FLAGS)[K] extends { readonly cliOnly: true } ? never : K }[StartFlagName]

/** Every `start` flag but the command line's own (`--open`, `--yes`, `--dev`), camelCased, with the flag's type. */
export type StartFlagOptions = { readonly [K in ProgrammaticFlag as CamelCase<K>]?: ValueOf<(typeof START_FLAGS)[K]> }

/** `identity-admin-token` → `identityAdminToken` (the option name of a flag). */
export function optionName(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}
