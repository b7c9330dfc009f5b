import { metricsOrigin, type ProxyConfig } from '../config.js'
import type { Logger } from '../logger.js'

export interface BannerOptions {
  readonly jwt: boolean
  readonly quiet: boolean
  /** With the built-in identity server: where its identities live (`dev only, in-memory`). */
  readonly identityStore?: string | undefined
  /** With the built-in identity server: where its admin API listens and where its token is (never the token). */
  readonly identityAdmin?: string | undefined
  /** Where the HTTPS certificate comes from, when the proxy serves HTTPS. */
  readonly tls?: string | undefined
  /** `--session-store`, password hidden: where sessions and the key are shared. */
  readonly sessionStore?: string | undefined
  /** Processes serving (`--workers`). */
  readonly workers: number
}

/**
 * ory proxy's banner (stderr, before requests flow), plus where the app and Ory are and whether
 * JWTs are on. With `--quiet` only one ready line is printed.
 */
export function printBanner(logger: Logger, config: ProxyConfig, options: BannerOptions): void {
  const url = config.publish.origin
  if (options.quiet) {
    process.stderr.write(`ory-proxy ready on ${url}\n`)
    return
  }
  const jwt = options.jwt ? `on (keys at ${url}/.ory/jwks.json)` : 'off (--no-jwt)'
  logger.info(
    [
      'To access your application via the Ory Proxy, open:',
      '',
      `\t${url}`,
      '',
      `  app:  ${config.app.origin}${config.app.pathPrefix}`,
      `  ory:  ${config.ory.origin}${config.ory.pathPrefix}  (${config.ory.label}) at ${url}/.ory`,
      ...(options.identityStore === undefined
        ? []
        : [`  auth: ${options.identityStore}; sign up at ${url}/.ory/ui/registration`]),
      ...(options.identityAdmin === undefined ? [] : [`  admin: ${options.identityAdmin} (Kratos' admin API, loopback only)`]),
      `  jwt:  ${jwt}`,
      ...(options.sessionStore === undefined ? [] : [`  sessions shared through ${options.sessionStore}`]),
      ...(options.tls === undefined ? [] : [`  tls:  ${options.tls}`]),
      ...(config.observe.metrics === undefined ? [] : [`  metrics: ${metricsOrigin(config.observe.metrics)}/metrics (probes: /health/alive, /health/ready)`]),
      `  listening on port ${config.listen.port}${options.tls === undefined ? '' : ' (HTTPS: HTTP/2 and HTTP/1.1)'}${
        options.workers > 1 ? ` with ${options.workers} workers` : ''
      }`,
      '',
    ].join('\n'),
  )
}
