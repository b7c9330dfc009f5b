import { Args, Command, Flags } from '@oclif/core'
import { accessSync, constants } from 'node:fs'
import { buildConfig, DEFAULTS, type ProxyConfig } from '../config.js'
import { parseDuration } from '../duration.js'
import { ConfigError } from '../errors.js'
import { createLogger } from '../logger.js'
import { EXIT_USAGE, failLine } from '../cli/exit.js'
import { endpointOrBuiltIn } from '../cli/identity.js'
import { resolveOryEndpoint } from '../cli/ory-endpoint.js'
import { resolveTls } from '../cli/tls-options.js'
import { printBanner } from '../cli/banner.js'
import { handleSignals } from '../cli/signals.js'
import type { SessionSettings } from '../session/gate.js'

export default class Start extends Command {
  static override summary = 'Run your app and Ory on one origin, with a session JWT for the app.'

  static override description = `Every request to the proxy goes to <application-url>, except /.ory/* which goes to Ory's
public API. Cookies, redirects and bodies from Ory are rewritten so the browser sees one origin
(the publish-url). For app requests carrying an Ory session, the app receives
"Authorization: Bearer <ES256 JWT>" (claims: sub = identity id, session = the whole session);
verify it with the keys at <publish-url>/.ory/jwks.json.

The Ory endpoint is --sdk-url (any Ory-compatible API) or --project (an Ory Network project slug).
With neither, a built-in Ory-compatible identity server starts in the same process (development
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
    port: Flags.integer({
      summary: 'Port to listen on.',
      env: 'PORT',
      default: DEFAULTS.port,
      min: 1,
      max: 65_535,
    }),
    project: Flags.string({
      summary: 'Ory Network project slug; /.ory goes to https://<slug>.projects.oryapis.com. $ORY_PROJECT_SLUG works too.',
      env: 'ORY_PROJECT',
    }),
    'sdk-url': Flags.string({
      summary: 'Any Ory-compatible API (self-hosted Kratos, a local server) to serve under /.ory. $ORY_KRATOS_URL works too.',
      env: 'ORY_SDK_URL',
    }),
    'identity-store': Flags.string({
      summary: 'Without --project/--sdk-url: JSON file the built-in identity server keeps identities in. Default: memory.',
    }),
    workspace: Flags.string({
      summary: 'Ory Network workspace ID or name, to narrow the project search.',
      env: 'ORY_WORKSPACE',
    }),
    config: Flags.string({
      char: 'c',
      summary: 'Path to the Ory CLI config file (selected project and credentials).',
      env: 'ORY_CONFIG_PATH',
    }),
    'cookie-domain': Flags.string({
      summary: 'Domain for every Set-Cookie passing through (default: host-only cookies for the publish-url).',
    }),
    'default-redirect-url': Flags.string({
      summary: 'Where the browser goes after login or registration (Ory redirects to /ui/welcome). Default: the publish-url.',
    }),
    'allowed-cors-origins': Flags.string({
      summary: 'Allowed CORS origins, repeatable or comma-separated; * wildcards like https://*.example.org. Default: every origin.',
      multiple: true,
    }),
    'additional-cors-headers': Flags.string({
      summary: 'Extra request headers allowed by CORS, repeatable or comma-separated; X-* wildcards allowed.',
      multiple: true,
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
      summary: 'JWK or JWKS file holding the ES256 (P-256) private key to sign with, so several proxies share one key. Default: a new key per start.',
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
    }),
    'tls-key': Flags.string({
      summary: 'PEM private key of --tls-cert.',
    }),
    'dev-cert': Flags.string({
      summary: 'Keep the development certificate in this file (key in <name>-key.pem) and reuse it, so a browser trusts it once; implies --https.',
    }),
    'app-h2': Flags.boolean({
      summary: 'Talk HTTP/2 to the app: negotiated (ALPN) for an https app, prior knowledge (h2c) for an http one.',
      default: false,
    }),
    'upstream-timeout': Flags.string({
      summary: 'How long the app or Ory may take to send response headers before the client gets 504.',
      default: '120s',
    }),
    'api-key-expiry': Flags.string({
      summary: 'Lifetime of the temporary project API key the proxy creates (0 = never expires).',
      default: '12h',
    }),
    open: Flags.boolean({
      summary: 'Open the publish-url in the default browser once the proxy is ready.',
      default: false,
    }),
    debug: Flags.boolean({
      summary: 'Log one JSON line per request and every CORS and rewrite decision on stderr.',
      default: false,
    }),
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Print only one ready line; never prompt.',
      default: false,
    }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'Answer yes to every confirmation.',
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
    if (flags.config !== undefined) requireReadable(flags.config)
    parseDuration(flags['api-key-expiry'], '--api-key-expiry')
    const selected = resolveOryEndpoint({
      projectFlag: given.has('project') ? flags.project : undefined,
      sdkUrlFlag: given.has('sdk-url') ? flags['sdk-url'] : undefined,
      env: process.env,
    })
    const session = sessionSettings(flags, given)
    const tls = resolveTls({
      https: flags.https,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      devCert: flags['dev-cert'],
    })
    const logger = createLogger({ quiet: flags.quiet, debug: flags.debug })
    // On a start-up error below, oclif exits the process, which also ends this server.
    const { endpoint, identity } = await endpointOrBuiltIn(selected, flags['identity-store'], logger)
    const config: ProxyConfig = buildConfig({
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
      timeouts: { upstreamHeadersMs: parseDuration(flags['upstream-timeout'], '--upstream-timeout') },
      tls: tls?.material,
      appH2: flags['app-h2'],
    })
    // Loaded here so `--help` and bad input never pay for undici, and `--no-jwt` never loads jose
    // or piscina.
    const gate =
      session === undefined ? undefined : (await import('../session/gate.js')).openSessionGate(config, session, logger)
    const { startProxy } = await import('../server/proxy.js')
    const proxy = await startProxy(config, { logger, gate })
    // Signal handlers go in before the banner: whoever waits for the banner may send SIGINT at once.
    // The proxy drains first: requests in flight may still need the identity server.
    const stopped = handleSignals({ close: () => proxy.close().then(() => identity?.close()) }, logger)
    printBanner(logger, config, {
      jwt: gate !== undefined,
      quiet: flags.quiet,
      identityStore: identity?.store,
      tls: tls?.description,
    })
    await stopped
  }

  protected override async catch(error: Error): Promise<void> {
    process.stderr.write(`${failLine(error)}\n`)
    this.exit(EXIT_USAGE)
  }
}

const SESSION_FLAGS = ['jwk-file', 'session-cache-ttl', 'session-cache-size', 'whoami-timeout'] as const

interface SessionFlags {
  readonly 'no-jwt': boolean
  readonly 'jwk-file'?: string | undefined
  readonly 'session-cache-ttl': string
  readonly 'session-cache-size': number
  readonly 'whoami-timeout': string
}

/** The session flags, validated; undefined with `--no-jwt` (which they contradict when given). */
function sessionSettings(flags: SessionFlags, given: ReadonlySet<string>): SessionSettings | undefined {
  if (flags['no-jwt']) {
    const contradicting = SESSION_FLAGS.find((name) => given.has(name))
    if (contradicting !== undefined) throw new ConfigError(`--${contradicting} needs JWTs; remove it or --no-jwt`)
    return undefined
  }
  const whoamiTimeoutMs = parseDuration(flags['whoami-timeout'], '--whoami-timeout')
  if (whoamiTimeoutMs === 0) throw new ConfigError('--whoami-timeout must be longer than 0, e.g. 3s')
  return {
    jwkFile: flags['jwk-file'],
    cacheTtlMs: parseDuration(flags['session-cache-ttl'], '--session-cache-ttl'),
    cacheSize: flags['session-cache-size'],
    whoamiTimeoutMs,
  }
}

function requireReadable(path: string): void {
  try {
    accessSync(path, constants.R_OK)
  } catch (cause) {
    throw new ConfigError(`--config ${path} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    })
  }
}
