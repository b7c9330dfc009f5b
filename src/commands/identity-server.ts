import { Command } from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import { EXIT_USAGE, failLine } from '../cli/exit.js'
import { describeAdminToken, describeIdentityStore, startBuiltInIdentity } from '../cli/identity.js'
import { shown } from '../cli/shown-default.js'
import { handleSignals } from '../cli/signals.js'
import { parseDuration } from '../duration.js'
import { ConfigError } from '../errors.js'
import { createLogger } from '../logger.js'

export default class IdentityServer extends Command {
  static override summary = 'Run the built-in Ory-compatible identity server on its own (development only).'

  static override description = [
    "A local stand-in for Ory's identity API (Kratos): registration, login, settings, recovery and verification by code (browser and API flows) for an identity schema with password credentials (default traits.email), logout, /sessions/whoami, and pages at /ui/*. Codes are \"sent\" to an outbox: one line each on stderr, and Kratos' GET /admin/courier/messages on the admin port.",
    '',
    'Point the basePath of Ory\'s SDKs, or --sdk-url of "ory-proxy start", at the printed URL. Identities and sessions live in memory unless --identity-store names a file. The admin listener serves Kratos\' admin identity and session API with the admin token: --admin-token, or a random one written to a file (mode 0600) whose path is printed.',
  ].join('\n')

  static override examples = [
    {
      description: 'Serve on http://127.0.0.1:4433 and keep identities across restarts:',
      command: '<%= config.bin %> <%= command.id %> --identity-store ./identities.json',
    },
  ]

  static override flags = {
    port: Flags.integer({
      summary: 'Port to listen on (127.0.0.1).',
      default: 4433,
      min: 1,
      max: 65_535,
    }),
    'admin-port': Flags.integer({
      summary: "Port of the admin listener (127.0.0.1): Kratos' admin paths and the outbox page, with the admin token.",
      default: 4434,
      min: 1,
      max: 65_535,
    }),
    'identity-schema': Flags.string({
      summary: 'Kratos identity schema (JSON): traits, the password identifier, verification and recovery addresses.',
      defaultHelp: shown('traits.email'),
    }),
    'identity-store': Flags.string({
      summary: 'JSON file to keep identities and sessions in (written atomically; created if missing).',
      defaultHelp: shown('memory only'),
    }),
    identities: Flags.string({
      summary: "JSON array of identities to create at start (the admin API's create bodies: traits, password or hashed_password).",
      defaultHelp: shown('none'),
    }),
    'admin-token': Flags.string({
      summary: 'Bearer token of the admin listener (at least 8 characters).',
      env: 'ORY_PROXY_IDENTITY_ADMIN_TOKEN',
      defaultHelp: shown('random, in a 0600 file whose path is printed'),
    }),
    'base-url': Flags.string({
      summary: 'The URL browsers use to reach this server, when not http://127.0.0.1:<port>. No path.',
      defaultHelp: shown('http://127.0.0.1:<port>'),
    }),
    'session-lifespan': Flags.string({
      summary: 'How long a session lasts, e.g. 30m or 24h.',
      default: '24h',
    }),
  }

  public async run(): Promise<void> {
    const { flags } = await this.parse(IdentityServer)
    const sessionLifetimeMs = parseDuration(flags['session-lifespan'], '--session-lifespan')
    if (sessionLifetimeMs === 0) throw new ConfigError('--session-lifespan must be longer than 0')
    const logger = createLogger()
    const server = await startBuiltInIdentity({
      port: flags.port,
      adminPort: flags['admin-port'],
      schemaFile: flags['identity-schema'],
      storeFile: flags['identity-store'],
      identitiesFile: flags.identities,
      adminToken: flags['admin-token'],
      baseUrl: flags['base-url'],
      sessionLifetimeMs,
      logger,
    })
    // Signal handlers go in before the ready lines, so a SIGINT right after them drains instead of killing.
    const stopped = handleSignals(server, logger)
    logger.info(
      [
        `Ory-compatible identity server (${describeIdentityStore(server.storeFile)}) on ${server.url}`,
        '',
        `  sign up:  ${server.url}/ui/registration`,
        `  sign in:  ${server.url}/ui/login`,
        `  SDKs:     basePath ${server.url}`,
        `  admin:    ${server.adminUrl} (Kratos' admin API: /admin/identities, /admin/sessions, /admin/courier/messages)`,
        `            "Authorization: Bearer <token>" with ${describeAdminToken(server, '--admin-token')}`,
        `  outbox:   ${server.adminUrl}/courier (any user name, the admin token as password)`,
        '',
      ].join('\n'),
    )
    await stopped
  }

  protected override async catch(error: Error): Promise<void> {
    process.stderr.write(`${failLine(error)}\n`)
    this.exit(EXIT_USAGE)
  }
}
