import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { endpointOrBuiltIn, type BuiltInIdentity } from './cli/identity.js'
import { connectOry } from './cli/ory-connection.js'
import { serve } from './cli/serve.js'
import { parseSessionStoreUrl } from './cli/session-store-url.js'
import { resolveTls } from './cli/tls-options.js'
import { parseWorkers, schedulingOf } from './cli/workers.js'
import { buildConfig, type ProxyConfig, type RequestLogFormat } from './config.js'
import { parseDuration } from './duration.js'
import { ConfigError } from './errors.js'
import { createLogger, type Logger } from './logger.js'
import { RequestLog } from './observability/request-log.js'
import type { SessionSettings } from './session/gate.js'
import { optionName, START_FLAGS, type StartFlagName, type StartFlagOptions } from './start-flags.js'

/** Options of {@link startProxy}: every `start` flag (camelCased) but `--open`, `--yes` and `--dev`, plus the two arguments. */
export interface StartOptions extends StartFlagOptions {
  /** Where your app listens, e.g. `http://localhost:3000` (`<application-url>`). */
  readonly applicationUrl: string
  /** The URL browsers use (`<publish-url>`); default `http://localhost:<port>`. */
  readonly publishUrl?: string | undefined
  /**
   * Where the Ory endpoint and key variables are read (`ORY_SDK_URL`, `ORY_PROJECT`,
   * `ORY_PROJECT_API_KEY`, …), as the command line reads them; default `process.env`. The flags'
   * own variables (`PORT`, `ORY_PROXY_WORKERS`, …) are the command line's: options do not read them.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Where start-up notes, warnings and `debug` lines go; default stderr (notes silenced by `quiet`). */
  readonly logger?: Logger | undefined
}

/** A running proxy, from {@link startProxy}. */
export interface RunningProxy {
  /** The publish-url's origin: what browsers and tests open (`http://localhost:4000`). */
  readonly url: string
  /** Ory's public API through the proxy: `<url>/.ory` (the `basePath` for Ory's SDKs in the browser's origin). */
  readonly oryUrl: string
  /** The built-in identity server's admin API (`http://127.0.0.1:<port>`, loopback only); undefined with another Ory endpoint. */
  readonly adminUrl: string | undefined
  /** Its bearer token (`Authorization: Bearer <token>`); undefined with another Ory endpoint. */
  readonly adminToken: string | undefined
  /** The 0600 file holding a generated admin token (removed by `close()`); undefined when the token was given or there is no built-in server. */
  readonly adminTokenFile: string | undefined
  /** Drains in-flight requests (bounded), then releases every socket, worker, thread, timer and temporary key; resolves when all are gone. Idempotent. */
  close(): Promise<void>
}

/** What the command's banner needs besides the handle. */
export interface StartedProxy {
  readonly proxy: RunningProxy
  /** Where start-up notes and warnings went (`--debug` events through the request log). */
  readonly logger: Logger
  readonly config: ProxyConfig
  readonly jwt: boolean
  readonly sessionStore: string | undefined
  readonly identity: BuiltInIdentity | undefined
  readonly tls: string | undefined
  readonly workers: number
}

/** Flag values by flag name, defaults applied. */
export type FlagValues = { readonly [K in StartFlagName]?: unknown }

/**
 * Starts the proxy, its Ory endpoint (the built-in identity server unless one is selected) and,
 * with `workers`, its processes; resolves once it accepts requests. Rejects with a `ProxyError`
 * whose `code` is the one the command line prints (`ERR_CONFIG`, `ERR_LISTEN`, …), having
 * released whatever it had started. `port: 0` picks a free port (the publish-url names it).
 *
 * @example
 * import { startProxy } from 'ory-proxy'
 * const proxy = await startProxy({ applicationUrl: 'http://localhost:3000', port: 0, noJwt: true })
 * // proxy.url: 'http://localhost:41234'; proxy.adminUrl: Kratos' admin API of the built-in server
 * await proxy.close()
 */
export async function startProxy(options: StartOptions): Promise<RunningProxy> {
  const values: Record<string, unknown> = {}
  const given = new Set<string>()
  for (const [flag, spec] of Object.entries(START_FLAGS)) {
    const value = (options as unknown as Record<string, unknown>)[optionName(flag)]
    if (value !== undefined) given.add(flag)
    values[flag] = value ?? ('default' in spec ? spec.default : undefined)
  }
  const started = await startFromFlags({ applicationUrl: options.applicationUrl, publishUrl: options.publishUrl }, values, given, {
    env: options.env ?? process.env,
    logger: options.logger,
  })
  return started.proxy
}

/**
 * What `start` and {@link startProxy} share: flag values (by flag name, defaults applied) and
 * which were given, to a running proxy. The command adds signals, the app probe, the banner and
 * `--open`.
 */
export async function startFromFlags(
  args: { readonly applicationUrl: string | undefined; readonly publishUrl: string | undefined },
  values: FlagValues,
  given: ReadonlySet<string>,
  io: { readonly env: Readonly<Record<string, string | undefined>>; readonly logger?: Logger | undefined },
): Promise<StartedProxy> {
  const string = (name: StartFlagName) => values[name] as string | undefined
  const flag = (name: StartFlagName) => values[name] === true
  const { applicationUrl } = args
  if (!applicationUrl) throw new ConfigError('missing <application-url>: ory-proxy start <application-url> [<publish-url>] (see --help)')
  const apiKeyExpiryMs = parseDuration(string('api-key-expiry')!, '--api-key-expiry')
  const upstreamHeadersMs = parseDuration(string('upstream-timeout')!, '--upstream-timeout')
  const session = sessionSettings(values, given)
  const workers = parseWorkers(String(values.workers))
  const tls = await resolveTls({ https: flag('https'), tlsCert: string('tls-cert'), tlsKey: string('tls-key'), devCert: string('dev-cert') })
  const requestLogFormat = requestLogFormatOf(string('log-format') as RequestLogFormat | undefined, flag('debug'), flag('quiet'))
  // Opened first, so --debug events from the start on go through it, in order with the requests.
  // With workers, each worker opens its own.
  const requestLog = await RequestLog.open({ format: workers > 1 ? undefined : requestLogFormat, debug: flag('debug') && workers === 1 })
  const logger = io.logger ?? createLogger({ quiet: flag('quiet'), debug: flag('debug'), events: requestLog?.event })
  let port = values.port as number
  // Port 0 asks for a free port: the publish-url must name it before anything listens.
  if (port === 0 && args.publishUrl === undefined) port = await freePort()
  const ory = await connectOry(
    {
      projectFlag: given.has('project') ? string('project') : undefined,
      sdkUrlFlag: given.has('sdk-url') ? string('sdk-url') : undefined,
      workspaceFlag: given.has('workspace') ? string('workspace') : undefined,
      configPath: string('config'),
      env: io.env,
      home: homedir(),
      apiKeyExpiryMs,
      logger,
    },
    async (selected) => {
      const { endpoint, identity } = await endpointOrBuiltIn(
        selected,
        {
          storeFile: string('identity-store'),
          schemaFile: string('identity-schema'),
          identitiesFile: string('identities'),
          adminToken: string('identity-admin-token'),
          adminPort: values['identity-admin-port'] as number | undefined,
        },
        logger,
      )
      try {
        const config = buildConfig({
          applicationUrl,
          publishUrl: args.publishUrl,
          port,
          ory: endpoint,
          cookieDomain: string('cookie-domain'),
          defaultRedirectUrl: string('default-redirect-url'),
          allowedCorsOrigins: values['allowed-cors-origins'] as readonly string[] | undefined,
          additionalCorsHeaders: values['additional-cors-headers'] as readonly string[] | undefined,
          rewriteHost: flag('rewrite-host'),
          debug: flag('debug'),
          requestLog: requestLogFormat,
          metrics: string('metrics'),
          timeouts: { upstreamHeadersMs },
          tls: tls?.material,
          appH2: flag('app-h2'),
        })
        return { config, identity }
      } catch (error) {
        await identity?.close()
        throw error
      }
    },
  )
  const { config, identity } = ory.built
  // The temporary API key goes after the last request that could carry it; the identity server
  // after that, and the request log last.
  const shutdown = (server: { close(): Promise<void> } | undefined) => () =>
    (server?.close() ?? Promise.resolve())
      .finally(() => ory.release())
      .finally(() => identity?.close())
      .finally(() => requestLog?.close())
  let server
  try {
    server = await serve({
      config,
      session,
      oryRequest: ory.oryRequest,
      logger,
      log: { quiet: flag('quiet'), debug: flag('debug') },
      requestLog,
      workers,
      scheduling: schedulingOf(io.env),
    })
  } catch (error) {
    await shutdown(undefined)()
    throw error
  }
  let closing: Promise<void> | undefined
  const close = shutdown(server)
  return {
    proxy: {
      url: config.publish.origin,
      oryUrl: `${config.publish.origin}/.ory`,
      adminUrl: identity?.adminUrl,
      adminToken: identity?.adminToken,
      adminTokenFile: identity?.adminTokenFile,
      close: () => (closing ??= close()),
    },
    logger,
    config,
    jwt: session !== undefined,
    sessionStore: session?.store?.display,
    identity,
    tls: tls?.description,
    workers,
  }
}

/**
 * The request log's format: `--debug` writes JSON; `-q` turns the default text log off, but a
 * format asked for (flag or ORY_PROXY_LOG_FORMAT) is kept.
 */
function requestLogFormatOf(asked: RequestLogFormat | undefined, debug: boolean, quiet: boolean): RequestLogFormat | undefined {
  if (debug) {
    if (asked === 'text') throw new ConfigError('--debug writes JSON lines; remove --log-format text (or ORY_PROXY_LOG_FORMAT) or --debug')
    return 'json'
  }
  return asked ?? (quiet ? undefined : 'text')
}

const SESSION_FLAGS = ['jwk-file', 'session-store', 'session-cache-ttl', 'session-cache-size', 'whoami-timeout'] as const

/** The session flags, validated; undefined with `--no-jwt` (which they contradict when given). */
function sessionSettings(values: FlagValues, given: ReadonlySet<string>): SessionSettings | undefined {
  const store = values['session-store'] as string | undefined
  if (values['no-jwt'] === true) {
    const contradicting = SESSION_FLAGS.find((name) => given.has(name))
    if (contradicting !== undefined) throw new ConfigError(`--${contradicting} needs JWTs; remove it or --no-jwt`)
    if (store !== undefined) throw new ConfigError('ORY_PROXY_SESSION_STORE (--session-store) needs JWTs; unset it or remove --no-jwt')
    return undefined
  }
  const whoamiTimeoutMs = parseDuration(values['whoami-timeout'] as string, '--whoami-timeout')
  if (whoamiTimeoutMs === 0) throw new ConfigError('--whoami-timeout must be longer than 0, e.g. 3s')
  return {
    jwkFile: values['jwk-file'] as string | undefined,
    cacheTtlMs: parseDuration(values['session-cache-ttl'] as string, '--session-cache-ttl'),
    cacheSize: values['session-cache-size'] as number,
    whoamiTimeoutMs,
    store: store === undefined ? undefined : parseSessionStoreUrl(store),
  }
}

/** A port nothing listens on now (on every interface, as the proxy binds). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
