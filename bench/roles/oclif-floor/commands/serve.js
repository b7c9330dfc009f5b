import { createRequire } from 'node:module'
import * as Args from '@oclif/core/args'
import { Command } from '@oclif/core/command'

// Loaded as ory-proxy loads it (src/node-builtins.ts): an ESM import of node:http costs Node 22+ ~20 ms.
const http = createRequire(import.meta.url)('node:http')

/** `serve <port>`: answers every request with "ok" on 127.0.0.1:<port>; says "ready" on stderr once listening. */
export default class Serve extends Command {
  static summary = 'Answer HTTP on 127.0.0.1:<port>.'

  static args = { port: Args.integer({ required: true }) }

  async run() {
    const { args } = await this.parse(Serve)
    http
      .createServer((_request, response) => response.end('ok'))
      .listen(args.port, '127.0.0.1', () => process.stderr.write('ready\n'))
  }
}
