import * as Args from '@oclif/core/args'
import { Command } from '@oclif/core/command'
import { checkApp } from '../cli/app-probe.js'
import { printBanner } from '../cli/banner.js'
import { EXIT_USAGE, failLine } from '../cli/exit.js'
import { describeAdminToken } from '../cli/identity.js'
import { oclifFlags } from '../cli/oclif-flags.js'
import { openBrowser } from '../cli/open-browser.js'
import { pflagArgv } from '../cli/pflag-argv.js'
import { takeUnusablePort } from '../cli/port-env.js'
import { handleSignals } from '../cli/signals.js'
import { DEFAULTS } from '../config.js'
import { keepHeapFloor } from '../heap-floor.js'
import { START_FLAGS } from '../start-flags.js'
import { startFromFlags, type FlagValues } from '../start-proxy.js'

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

  // ignoreStdin: oclif otherwise reads a missing argument from a stdin that is not a terminal
  // (waiting up to 10 ms), so `echo y | ory-proxy start <app>` would publish on "y".
  static override args = {
    'application-url': Args.string({
      description: 'The URL of your app, e.g. http://localhost:3000. Its path is kept as a prefix.',
      required: false,
      ignoreStdin: true,
    }),
    'publish-url': Args.string({
      description: 'The URL the browser uses to reach the proxy (no path). Default: http://localhost:<port> (https with --https).',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = oclifFlags(START_FLAGS)

  public async run(): Promise<void> {
    // This process proxies (or, with --workers, holds the shared session level): see heap-floor.ts.
    keepHeapFloor()
    const unusablePort = takeUnusablePort(process.env)
    this.argv = pflagArgv(this.argv, START_FLAGS)
    const { args, flags, raw } = await this.parse(Start)
    const given = new Set(raw.filter((token) => token.type === 'flag').map((token) => token.flag))
    if (given.has('dev')) process.stderr.write('ory-proxy: warning: --dev is deprecated and has no effect\n')
    if (unusablePort !== undefined && !given.has('port')) {
      process.stderr.write(`ory-proxy: warning: $PORT is ${JSON.stringify(unusablePort)}, not a port number; listening on ${DEFAULTS.port}\n`)
    }
    const values = flags as FlagValues
    const started = await startFromFlags({ applicationUrl: args['application-url'], publishUrl: args['publish-url'] }, values, given, {
      env: process.env,
    })
    const { proxy, config, identity, logger } = started
    // Signal handlers go in before anything is printed: whoever waits for output may send SIGINT at
    // once, and a signal also ends an open question.
    const interrupted = new AbortController()
    const stopped = handleSignals({ close: () => (interrupted.abort(), proxy.close()) }, logger)
    try {
      await checkApp(config.app, logger, {
        yes: flags.yes as boolean,
        quiet: flags.quiet as boolean,
        input: process.stdin,
        output: process.stderr,
        signal: interrupted.signal,
      })
    } catch (error) {
      await proxy.close()
      throw error
    }
    if (!interrupted.signal.aborted) {
      printBanner(logger, config, {
        jwt: started.jwt,
        sessionStore: started.sessionStore,
        quiet: flags.quiet as boolean,
        identityStore: identity?.store,
        identityAdmin: identity === undefined ? undefined : `${identity.adminUrl} with ${describeAdminToken(identity, '--identity-admin-token')}`,
        tls: started.tls,
        workers: started.workers,
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
