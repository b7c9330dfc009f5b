import { randomBytes } from 'node:crypto'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseHttpUrl } from '../config.js'
import { ConfigError, isProxyError } from '../errors.js'
import { drain, listen } from '../http-server.js'
import { silentLogger, type Logger } from '../logger.js'
import { createServer as createHttpServer } from '../node-builtins.js'
import type { IdentityContext } from './context.js'
import { CookieWriter } from './cookies.js'
import { CsrfTokens } from './csrf.js'
import { ErrorReports } from './error-reports.js'
import { Exchange } from './exchange.js'
import { FlowStore } from './flows.js'
import { IdentityStore } from './identity-store.js'
import { errors } from './kratos-errors.js'
import { decoyHash } from './password.js'
import { Outbox } from './outbox.js'
import { adminRoute, allowedMethods, guarded, handlerFor, publicRoute, type Methods } from './routes.js'
import { defaultIdentitySchema, type IdentitySchema } from './schema.js'
import { SessionStore } from './sessions.js'

/** Named defaults (the CLI flags read them from here). */
export const IDENTITY_DEFAULTS = Object.freeze({
  /** Kratos' public port. */
  port: 4433,
  host: '127.0.0.1',
  /** Kratos' default `session.lifespan`. */
  sessionLifetimeMs: 24 * 60 * 60 * 1000,
  /** Kratos' default `selfservice.flows.*.lifespan`. */
  flowLifetimeMs: 60 * 60 * 1000,
  /** Kratos' default `selfservice.flows.settings.privileged_session_max_age`. */
  privilegedMs: 15 * 60 * 1000,
  /** Kratos' default `selfservice.methods.code.config.lifespan`. */
  codeLifetimeMs: 15 * 60 * 1000,
  shutdownMs: 5_000,
})

export interface IdentityServerOptions {
  /** 0 picks a free port. Default 4433. */
  readonly port?: number | undefined
  /** The admin listener's port (Kratos' admin API: courier messages, sessions); 0 (the default) picks a free one; the CLI's default is Kratos' 4434. */
  readonly adminPort?: number | undefined
  /** The identity schema (see `loadIdentitySchema`); default: `traits.email` as the password identifier. */
  readonly schema?: IdentitySchema | undefined
  /** Default 127.0.0.1: a development server is not for the network. */
  readonly host?: string | undefined
  /** The URL browsers reach this server at, when it is not `http://<host>:<port>` (standalone use behind another name). */
  readonly baseUrl?: string | undefined
  /** Keep identities in this JSON file (atomic writes) instead of only in memory. */
  readonly storeFile?: string | undefined
  readonly sessionLifetimeMs?: number | undefined
  readonly flowLifetimeMs?: number | undefined
  /** How long after signing in a session may change the password and protected traits. Default 15 minutes. */
  readonly privilegedMs?: number | undefined
  /** How long a recovery or verification code is valid. Default 15 minutes. */
  readonly codeLifetimeMs?: number | undefined
  /** Bearer token for the admin listener; random by default. */
  readonly adminToken?: string | undefined
  /** Identities to create before anything listens (`--identities`: the admin API's create bodies, as parsed from `source`). */
  readonly identities?: { readonly entries: unknown; readonly source: string } | undefined
  /** Where each courier message is announced (one line with the code); default: the logger's info. */
  readonly announce?: ((line: string) => void) | undefined
  /** The clock, in ms (tests move it instead of sleeping). */
  readonly now?: (() => number) | undefined
  readonly logger?: Logger | undefined
}

export interface IdentityServerHandle {
  /** The origin every URL the server generates starts with (its base URL). */
  readonly url: string
  readonly port: number
  /** The admin listener's origin (`http://127.0.0.1:<admin port>`): Kratos' admin paths, never behind the proxy. */
  readonly adminUrl: string
  readonly adminPort: number
  readonly adminToken: string
  /** The identity store file, or undefined when identities live only in memory. */
  readonly storeFile: string | undefined
  /** Stops accepting, finishes in-flight requests (bounded), and waits for pending store writes. */
  close(): Promise<void>
}

/**
 * Starts the built-in Ory-compatible identity server: Kratos' public self-service API (browser and
 * API login, registration, settings, recovery and verification by code, logout, whoami) for an
 * identity schema with password credentials, with server-rendered pages at `/ui/*`; and, on a
 * second loopback listener, Kratos' admin paths behind the admin token (courier messages,
 * sessions) and the outbox page. It behaves like Ory Network towards browsers (absolute URLs on its own
 * origin, its own cookie domain, CSRF cookie plus token), so the proxy's rewrites run as online.
 *
 * @example const identity = await startIdentityServer({ port: 0 }) // identity.url: 'http://127.0.0.1:<port>'
 */
export async function startIdentityServer(options: IdentityServerOptions = {}): Promise<IdentityServerHandle> {
  const port = checkPort(options.port ?? IDENTITY_DEFAULTS.port, '--port')
  const adminPort = checkPort(options.adminPort ?? 0, '--admin-port')
  const host = options.host ?? IDENTITY_DEFAULTS.host
  const configuredBase = options.baseUrl === undefined ? undefined : parseBaseUrl(options.baseUrl)
  const sessionLifetimeMs = positive(options.sessionLifetimeMs ?? IDENTITY_DEFAULTS.sessionLifetimeMs, 'the session lifespan')
  const flowLifetimeMs = positive(options.flowLifetimeMs ?? IDENTITY_DEFAULTS.flowLifetimeMs, 'the flow lifespan')
  const privilegedMs = positive(options.privilegedMs ?? IDENTITY_DEFAULTS.privilegedMs, 'the privileged session window')
  const codeLifetimeMs = positive(options.codeLifetimeMs ?? IDENTITY_DEFAULTS.codeLifetimeMs, 'the code lifespan')
  const schema = options.schema ?? defaultIdentitySchema()
  const now = options.now ?? Date.now
  const logger = options.logger ?? silentLogger
  if (options.adminToken !== undefined && !/^[\x21-\x7e]{8,}$/.test(options.adminToken)) {
    throw new ConfigError('the identity admin token must be at least 8 visible ASCII characters, without spaces')
  }
  const identities = await IdentityStore.open(options.storeFile)
  // With a store file, sessions are kept in it too (token hashes), so a restart signs no one out.
  const persistence =
    identities.path === undefined
      ? undefined
      : {
          stored: identities.storedSessions,
          save: () => void identities.save().catch((error: Error) => logger.warn(`identity server: sessions not saved: ${error.message}`)),
        }
  const sessions = new SessionStore(sessionLifetimeMs, persistence, now())
  identities.attachSessions(() => sessions.snapshot(now()))
  if (options.identities !== undefined) {
    const { importIdentities } = await import('./seed.js')
    const { entries, source } = options.identities
    const { created, skipped } = await importIdentities(schema, identities, entries, source, now())
    logger.info(`identity server: ${created} identities imported from ${source}${skipped > 0 ? ` (${skipped} already in the store)` : ''}`)
  }
  // Made now, off the event loop, so the first login with an unknown email costs what any login does.
  void decoyHash()

  let context: IdentityContext | undefined
  const server = createServer((req, res) => void handle(context!, publicRoute, req, res, now))
  const admin = createServer((req, res) => void handle(context!, adminRoute, req, res, now, true))
  await listen(server, port, host)
  try {
    await listen(admin, adminPort, host, '--admin-port')
  } catch (error) {
    await drain(server, 0)
    throw error
  }
  const bound = (server.address() as AddressInfo).port
  const adminBound = (admin.address() as AddressInfo).port
  const base = configuredBase ?? new URL(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`)
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url')
  // Assigned before this continuation yields, so no request can see it unset.
  context = {
    origin: base.origin,
    base,
    defaultReturnUrl: `${base.origin}/ui/welcome`,
    schema,
    identities,
    sessions,
    flows: new FlowStore(flowLifetimeMs),
    errorReports: new ErrorReports(),
    csrf: new CsrfTokens(base.origin),
    cookies: new CookieWriter(base),
    outbox: new Outbox(options.announce ?? ((line) => logger.info(line))),
    privilegedMs,
    codeLifetimeMs,
    adminToken,
    logger,
  }
  let closing: Promise<void> | undefined
  const adminUrl = `http://${host.includes(':') ? `[${host}]` : host}:${adminBound}`
  return {
    url: base.origin,
    port: bound,
    adminUrl,
    adminPort: adminBound,
    adminToken,
    storeFile: identities.path,
    close: () =>
      (closing ??= Promise.all([drain(server, IDENTITY_DEFAULTS.shutdownMs), drain(admin, IDENTITY_DEFAULTS.shutdownMs)]).then(() =>
        identities.flush(),
      )),
  }
}

function createServer(listener: RequestListener): Server {
  return createHttpServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, requireHostHeader: true }, listener)
}

async function handle(
  ctx: IdentityContext,
  route: (path: string) => Methods | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  now: () => number,
  admin = false,
): Promise<void> {
  const url = originFormUrl(req.url ?? '', ctx.origin)
  const ex = new Exchange(req, res, url ?? new URL('/', ctx.origin), now())
  try {
    if (url === undefined) return ex.error(errors.badRequest('The request target must be a path.'))
    const methods = route(url.pathname)
    if (methods === undefined) return ex.error(errors.notFound(`Nothing is served at ${url.pathname}.`))
    const found = handlerFor(methods, req.method ?? '')
    const handler = found === undefined || !admin ? found : guarded(url.pathname, found)
    if (handler === undefined) {
      res.setHeader('allow', allowedMethods(methods))
      return ex.error(errors.methodNotAllowed(allowedMethods(methods)))
    }
    await handler(ctx, ex)
  } catch (error) {
    // Nothing may escape: this server shares its process with the proxy.
    const message = isProxyError(error) ? error.message : 'unexpected error'
    ctx.logger.warn(`identity server: ${req.method} ${ex.url.pathname}: ${(error as Error).message}`)
    if (res.headersSent) res.destroy()
    else ex.error(errors.internal(message))
  }
}

/**
 * The request target resolved against this server's origin, or undefined unless it is an
 * origin-form path (RFC 9112 §3.2.1) the URL parser accepts: an absolute-form or `//host` target
 * names another origin, and `/\[` makes the parser throw.
 */
function originFormUrl(target: string, origin: string): URL | undefined {
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return undefined
  try {
    return new URL(target, origin)
  } catch {
    return undefined
  }
}

function parseBaseUrl(text: string): URL {
  const url = parseHttpUrl(text, '--base-url')
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(`--base-url must not have a path, query or fragment, got "${text}"`)
  }
  return url
}

function checkPort(port: number, name: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`${name} must be an integer from 1 to 65535, got ${port}`)
  return port
}

function positive(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new ConfigError(`${name} must be longer than 0, got ${ms} ms`)
  return ms
}
