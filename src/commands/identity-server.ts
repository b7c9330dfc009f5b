import { Command, Flags } from '@oclif/core'
import { EXIT_USAGE, failLine } from '../cli/exit.js'
import { describeIdentityStore, startBuiltInIdentity } from '../cli/identity.js'
import { shown } from '../cli/shown-default.js'
import { handleSignals } from '../cli/signals.js'
import { parseDuration } from '../duration.js'
import { ConfigError } from '../errors.js'
import { createLogger } from '../logger.js'

export default class IdentityServer extends Command {
  static override summary = 'Run the built-in Ory-compatible identity server on its own (development only).'

  static override description = [
    "A local stand-in for Ory's public identity API (Kratos): registration and login with traits.email + password (browser and API flows), logout, /sessions/whoami, and sign-up and sign-in pages at /ui/registration and /ui/login.",
    '',
    'Point the basePath of Ory\'s SDKs, or --sdk-url of "ory-proxy start", at the printed URL. Identities live in memory unless --identity-store names a file; sessions always live in memory.',
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
    'identity-store': Flags.string({
      summary: 'JSON file to keep identities in (written atomically; created if missing).',
      defaultHelp: shown('memory only'),
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
      storeFile: flags['identity-store'],
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
        `  admin:    DELETE ${server.url}/admin/sessions/<id> with "Authorization: Bearer ${server.adminToken}"`,
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
