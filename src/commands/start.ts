import { Args, Command, Flags } from '@oclif/core'
import { homedir } from 'node:os'
import { buildConfig, DEFAULTS, REQUEST_LOG_FORMATS, type RequestLogFormat } from '../config.js'
import { parseDuration } from '../duration.js'
import { ConfigError } from '../errors.js'
import { createLogger } from '../logger.js'
import { RequestLog } from '../observability/request-log.js'
import { checkApp } from '../cli/app-probe.js'
import { EXIT_USAGE, failLine } from '../cli/exit.js'
import { endpointOrBuiltIn } from '../cli/identity.js'
import { connectOry } from '../cli/ory-connection.js'
import { openBrowser } from '../cli/open-browser.js'
import { shown } from '../cli/shown-default.js'
import { parseSessionStoreUrl } from '../cli/session-store-url.js'
import { resolveTls } from '../cli/tls-options.js'
import { printBanner } from '../cli/banner.js'
import { serve } from '../cli/serve.js'
import { handleSignals } from '../cli/signals.js'
import { parseWorkers, schedulingOf } from '../cli/workers.js'
import type { SessionSettings } from '../session/gate.js'

export default class Start extends Command {
  static override summary = 'Run your app and Ory on one origin, with a session JWT for the app.'

  static override description = `Every request to the proxy goes to <application-url>, except /.ory/* which goes to Ory's
public API. Cookies, redirects and bodies from Ory are rewritten so the browser sees one origin
(the publish-url). For app requests carrying an Ory session, the app receives
"Authorization: Bearer <ES256 JWT>" (claims: sub = identity id, session = the whole session);
verify it with the keys at <publish-url>/.ory/jwks.json.

The Ory endpoint is --sdk-url (any Ory-compatible API) or an Ory Network project: --project,
$ORY_PROJECT, $ORY_PROJECT_API_KEY's project, or the selected project of the Ory CLI's config file
(flag > environment > config file). Project IDs and slug prefixes are looked up in the Ory console
with $ORY_WORKSPACE_API_KEY, $ORY_PROJECT_API_KEY or the config file's login; with a workspace key
or login, a temporary project API key is made at start and deleted on shutdown. With none of these, a built-in Ory-compatible identity server starts in the same process (development
only; identities in memory, or in --identity-store): sign up at <publish-url>/.ory/ui/registration.`

  static override examples = [
    {
      description: 'Put an app on :3000 behind http://localhost:4000 with the built-in identity server (no account, no network):',
      command: '<%= config.bin %> <%= command.id %> http://localhost:3000',
    },
    {
      description: 'Put an app on :3000 and an Ory Network project behind http://localhost:4000:',
      command: '<%= config.bin %> <%= command.id %> http://localhost:3000 --project <project-slug>',
    },
    {
      description: 'Use a self-hosted Kratos and skip JWTs (fast start for CI):',
      command: '<%= config.bin %> <%= command.id %> http://localhost:3000 --sdk-url http://localhost:4433 --no-jwt',
    },
    {
      description: 'Serve HTTPS (HTTP/2 and HTTP/1.1) with a development certificate kept in ./localhost.pem:',
      command: '<%= config.bin %> <%= command.id %> http://localhost:3000 --sdk-url http://localhost:4433 --https --dev-cert ./localhost.pem',
    },
    {
      description: 'Serve on another port, published behind a gateway:',
      command: '<%= config.bin %> <%= command.id %> http://localhost:3000 https://gateway.local:5000 --port 8080',
    },
  ]

  static override args = {
    'application-url': Args.string({
      description: 'The URL of your app, e.g. http://localhost:3000. Its path is kept as a prefix.',
      required: false,
    }),
    'publish-url': Args.string({
      description: 'The URL the browser uses to reach the proxy (no path). Default: http://localhost:<port> (https with --https).',
      required: false,
    }),
  }

  static override flags = {
    workers: Flags.string({
      summary: 'Serve from this many processes (node:cluster), sharing one key and one session cache; auto = one per CPU.',
      env: 'ORY_PROXY_WORKERS',
      default: '1',
    }),
    port: Flags.integer({
      summary: 'Port to listen on (all interfaces).',
      env: 'PORT',
      default: DEFAULTS.port,
      min: 1,
      max: 65_535,
    }),
    project: Flags.string({
      summary:
        'Ory Network project: its slug, its ID, or the start of either (IDs and prefixes are looked up with an API key). $ORY_PROJECT_SLUG works too.',
      env: 'ORY_PROJECT',
      defaultHelp: shown('selected_project of --config'),
    }),
    'sdk-url': Flags.string({
      summary: 'Any Ory-compatible API (self-hosted Kratos, a local server) to serve under /.ory. $ORY_KRATOS_URL works too.',
      env: 'ORY_SDK_URL',
      defaultHelp: shown('none'),
    }),
    'identity-store': Flags.string({
      summary: 'Without --project/--sdk-url: JSON file the built-in identity server keeps identities in.',
      defaultHelp: shown('memory'),
    }),
    workspace: Flags.string({
      summary: 'Ory Network workspace ID or name (or the start of either), to narrow the project search.',
      env: 'ORY_WORKSPACE',
      defaultHelp: shown('selected_workspace of --config'),
    }),
    config: Flags.string({
      char: 'c',
      summary: "The Ory CLI's config file: selected project and workspace, and its login (used when flags and env say nothing).",
      env: 'ORY_CONFIG_PATH',
      defaultHelp: shown('~/.ory-cloud.json'),
    }),
    'cookie-domain': Flags.string({
      summary: 'Domain for every Set-Cookie passing through.',
      defaultHelp: shown('host-only cookies for the publish-url'),
    }),
    'default-redirect-url': Flags.string({
      summary: 'Where the browser goes after login or registration (Ory redirects to /ui/welcome).',
      defaultHelp: shown('the publish-url'),
    }),
    'allowed-cors-origins': Flags.string({
      summary: 'Allowed CORS origins, repeatable or comma-separated; * wildcards like https://*.example.org.',
      multiple: true,
      defaultHelp: shown('every origin'),
    }),
    'additional-cors-headers': Flags.string({
      summary: 'Extra request headers allowed by CORS, repeatable or comma-separated; X-* wildcards allowed.',
      multiple: true,
      defaultHelp: shown('none'),
    }),
    'rewrite-host': Flags.boolean({
      summary: "Send the app its own host in the Host header instead of the browser's.",
      default: false,
    }),
    'no-jwt': Flags.boolean({
      summary: 'Do not ask Ory for sessions or issue JWTs: the fastest start, for CI.',
      default: false,
    }),
    'jwk-file': Flags.string({
      summary: 'JWK or JWKS file holding the ES256 (P-256) private key to sign with, so several proxies share one key.',
      defaultHelp: shown('a new key per start'),
    }),
    'session-store': Flags.string({
      summary:
        'Redis URL (redis:// or rediss://, with password and db) where several proxies share the session cache and the signing key.',
      env: 'ORY_PROXY_SESSION_STORE',
      defaultHelp: shown("none: this proxy's own cache"),
    }),
    'session-cache-ttl': Flags.string({
      summary: 'How long a whoami answer is reused (0 = ask Ory on every request); also how late a revoked session can still get a JWT.',
      default: `${DEFAULTS.sessionCacheTtlMs / 1000}s`,
    }),
    'session-cache-size': Flags.integer({
      summary: 'How many credential sets the session cache holds (least recently used go first).',
      default: DEFAULTS.sessionCacheSize,
      min: 1,
    }),
    'whoami-timeout': Flags.string({
      summary: 'Total time for Ory to answer /sessions/whoami before a request with credentials gets 503.',
      default: `${DEFAULTS.whoamiTimeoutMs / 1000}s`,
    }),
    https: Flags.boolean({
      summary: 'Serve HTTPS: HTTP/2 and HTTP/1.1 on the one port (ALPN). Without --tls-cert, a self-signed certificate for localhost is made.',
      default: false,
    }),
    'tls-cert': Flags.string({
      summary: 'PEM certificate (chain) to serve HTTPS with; needs --tls-key, implies --https.',
      defaultHelp: shown('a self-signed certificate with --https'),
    }),
    'tls-key': Flags.string({
      summary: 'PEM private key of --tls-cert.',
      defaultHelp: shown('none'),
    }),
    'dev-cert': Flags.string({
      summary: 'Keep the development certificate in this file (key in <name>-key.pem) and reuse it, so a browser trusts it once; implies --https.',
      defaultHelp: shown('in memory, a new one per start'),
    }),
    'app-h2': Flags.boolean({
      summary: 'Talk HTTP/2 to the app: negotiated (ALPN) for an https app, prior knowledge (h2c) for an http one.',
      default: false,
    }),
    'upstream-timeout': Flags.string({
      summary: 'How long the app or Ory may take to send response headers before the client gets 504.',
      default: `${DEFAULTS.upstreamTimeoutMs / 1000}s`,
    }),
    'api-key-expiry': Flags.string({
      summary: 'Lifetime of the temporary project API key made at start and deleted on shutdown (0 = never expires).',
      default: DEFAULTS.apiKeyExpiry,
    }),
    open: Flags.boolean({
      summary: 'Open the publish-url in the default browser once the proxy is ready (a failure is only a warning).',
      default: false,
    }),
    'log-format': Flags.string({
      summary: 'One line per request on stderr: text (as ory proxy prints them) or json (one object per request, for log shippers).',
      env: 'ORY_PROXY_LOG_FORMAT',
      options: [...REQUEST_LOG_FORMATS],
      defaultHelp: shown('text; none with -q'),
    }),
    metrics: Flags.string({
      summary: 'Serve Prometheus metrics at /metrics, and /health/alive and /health/ready, on this [host:]port (host 127.0.0.1 unless given).',
      env: 'ORY_PROXY_METRICS',
      helpValue: '[host:]port',
      defaultHelp: shown('off'),
    }),
    debug: Flags.boolean({
      summary: 'Log one JSON line per request, and every CORS and rewrite decision, on stderr.',
      default: false,
    }),
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Print only one ready line (and warnings); never prompt.',
      default: false,
    }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'Answer yes to every confirmation (e.g. starting while the app is not reachable yet).',
      default: false,
    }),
    dev: Flags.boolean({
      summary: 'Deprecated: has no effect (accepted for ory proxy compatibility). Default: true.',
      default: true,
      allowNo: true,
    }),
  }

  public async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Start)
    const given = new Set(raw.filter((token) => token.type === 'flag').map((token) => token.flag))
    const applicationUrl = args['application-url']
    if (!applicationUrl) {
      throw new ConfigError('missing <application-url>: ory-proxy start <application-url> [<publish-url>] (see --help)')
    }
    if (given.has('dev')) process.stderr.write('ory-proxy: warning: --dev is deprecated and has no effect\n')
    const apiKeyExpiryMs = parseDuration(flags['api-key-expiry'], '--api-key-expiry')
    const upstreamHeadersMs = parseDuration(flags['upstream-timeout'], '--upstream-timeout')
    const session = sessionSettings(flags, given)
    const workers = parseWorkers(flags.workers)
    const tls = resolveTls({
      https: flags.https,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      devCert: flags['dev-cert'],
    })
    const requestLogFormat = requestLogFormatOf(flags)
    // Opened first, so --debug events from the start on go through it, in order with the requests.
    const requestLog = await RequestLog.open({ format: workers > 1 ? undefined : requestLogFormat, debug: flags.debug && workers === 1 })
    const logger = createLogger({ quiet: flags.quiet, debug: flags.debug, events: requestLog?.event })
    const ory = await connectOry(
      {
        projectFlag: given.has('project') ? flags.project : undefined,
        sdkUrlFlag: given.has('sdk-url') ? flags['sdk-url'] : undefined,
        workspaceFlag: given.has('workspace') ? flags.workspace : undefined,
        configPath: flags.config,
        env: process.env,
        home: homedir(),
        apiKeyExpiryMs,
        logger,
      },
      async (selected) => {
        const { endpoint, identity } = await endpointOrBuiltIn(selected, flags['identity-store'], logger)
        try {
          const config = buildConfig({
            applicationUrl,
            publishUrl: args['publish-url'],
            port: flags.port,
            ory: endpoint,
            cookieDomain: flags['cookie-domain'],
            defaultRedirectUrl: flags['default-redirect-url'],
            allowedCorsOrigins: flags['allowed-cors-origins'],
            additionalCorsHeaders: flags['additional-cors-headers'],
            rewriteHost: flags['rewrite-host'],
            debug: flags.debug,
            requestLog: requestLogFormat,
            metrics: flags.metrics,
            timeouts: { upstreamHeadersMs },
            tls: tls?.material,
            appH2: flags['app-h2'],
          })
          return { config, identity }
        } catch (error) {
          await identity?.close()
          throw error
        }
      },
    )
    const { config, identity } = ory.built
    // The temporary API key goes after the last request that could carry it; the identity server last.
    const shutdown = (proxy: { close(): Promise<void> } | undefined) => () =>
      (proxy?.close() ?? Promise.resolve())
        .finally(() => ory.release())
        .finally(() => identity?.close())
        .finally(() => requestLog?.close())
    let proxy
    try {
      proxy = await serve({
        config,
        session,
        oryRequest: ory.oryRequest,
        logger,
        log: { quiet: flags.quiet, debug: flags.debug },
        requestLog,
        workers,
        scheduling: schedulingOf(process.env),
      })
    } catch (error) {
      await shutdown(undefined)()
      throw error
    }
    // Signal handlers go in before anything is printed: whoever waits for output may send SIGINT at
    // once, and a signal also ends an open question.
    const interrupted = new AbortController()
    const stopped = handleSignals({ close: () => (interrupted.abort(), shutdown(proxy)()) }, logger)
    try {
      await checkApp(config.app, logger, {
        yes: flags.yes,
        quiet: flags.quiet,
        input: process.stdin,
        output: process.stderr,
        signal: interrupted.signal,
      })
    } catch (error) {
      await shutdown(proxy)()
      throw error
    }
    if (!interrupted.signal.aborted) {
      printBanner(logger, config, {
        jwt: session !== undefined,
        sessionStore: session?.store?.display,
        quiet: flags.quiet,
        identityStore: identity?.store,
        tls: tls?.description,
        workers,
      })
      if (flags.open) void openBrowser(config.publish.origin, logger)
    }
    await stopped
    // Everything is closed. Lines Node still holds for a stderr nobody reads (a full pipe) would
    // hold the exit as long as the reader sleeps: they are given up.
    this.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)
  }

  protected override async catch(error: Error): Promise<void> {
    process.stderr.write(`${failLine(error)}\n`)
    this.exit(EXIT_USAGE)
  }
}

/**
 * The request log's format: `--debug` writes JSON; `-q` turns the default text log off, but a
 * format asked for (flag or ORY_PROXY_LOG_FORMAT) is kept.
 */
function requestLogFormatOf(flags: { readonly 'log-format'?: string | undefined; readonly debug: boolean; readonly quiet: boolean }): RequestLogFormat | undefined {
  const asked = flags['log-format'] as RequestLogFormat | undefined
  if (flags.debug) {
    if (asked === 'text') throw new ConfigError('--debug writes JSON lines; remove --log-format text (or ORY_PROXY_LOG_FORMAT) or --debug')
    return 'json'
  }
  return asked ?? (flags.quiet ? undefined : 'text')
}

const SESSION_FLAGS = ['jwk-file', 'session-store', 'session-cache-ttl', 'session-cache-size', 'whoami-timeout'] as const

interface SessionFlags {
  readonly 'no-jwt': boolean
  readonly 'jwk-file'?: string | undefined
  readonly 'session-store'?: string | undefined
  readonly 'session-cache-ttl': string
  readonly 'session-cache-size': number
  readonly 'whoami-timeout': string
}

/** The session flags, validated; undefined with `--no-jwt` (which they contradict when given). */
function sessionSettings(flags: SessionFlags, given: ReadonlySet<string>): SessionSettings | undefined {
  if (flags['no-jwt']) {
    const contradicting = SESSION_FLAGS.find((name) => given.has(name))
    if (contradicting !== undefined) throw new ConfigError(`--${contradicting} needs JWTs; remove it or --no-jwt`)
    if (flags['session-store'] !== undefined) {
      throw new ConfigError('ORY_PROXY_SESSION_STORE (--session-store) needs JWTs; unset it or remove --no-jwt')
    }
    return undefined
  }
  const whoamiTimeoutMs = parseDuration(flags['whoami-timeout'], '--whoami-timeout')
  if (whoamiTimeoutMs === 0) throw new ConfigError('--whoami-timeout must be longer than 0, e.g. 3s')
  return {
    jwkFile: flags['jwk-file'],
    cacheTtlMs: parseDuration(flags['session-cache-ttl'], '--session-cache-ttl'),
    cacheSize: flags['session-cache-size'],
    whoamiTimeoutMs,
    store: flags['session-store'] === undefined ? undefined : parseSessionStoreUrl(flags['session-store']),
  }
}
