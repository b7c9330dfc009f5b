import http from 'node:http'
import { freePort } from '../../test/helpers/upstream.js'
import { BIN, spawnReady } from './cli-process.js'
import { SESSION_COOKIE } from './load.js'
import type { Figures } from './stats.js'

/** The yardstick: `node -e` with the smallest server that can answer, started the same way. */
const BARE_SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1', () => process.stderr.write('ready\\n'))`

/** GET / with the bench session cookie; resolves with the status once the body is read. */
function getStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', headers: { cookie: `${SESSION_COOKIE}=0` }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    request.on('error', reject)
    request.setTimeout(10_000, () => request.destroy(new Error('no answer in 10 s')))
  })
}

/** ms from spawning `argv` to the first 200 through it. */
async function timeToFirstResponse(argv: (port: number) => string[]): Promise<number> {
  const port = await freePort()
  const began = performance.now()
  const server = await spawnReady(argv(port), port)
  try {
    const status = await getStatus(port)
    if (status !== 200) throw new Error(`first response ${status} from node ${argv(port).join(' ')}`)
    return performance.now() - began
  } finally {
    await server.stop()
  }
}

/**
 * Start-up, spawn to first proxied response, interleaved so load from elsewhere falls on all three
 * alike: a bare `node -e` server, `ory-proxy --no-jwt`, and JWT mode (whose first response also
 * waits for one whoami call and one signature).
 */
export async function measureStartup(origin: string, ory: string, runs: number): Promise<Figures[]> {
  const proxy = (extra: string[]) => (port: number) => [BIN, 'start', origin, '--sdk-url', ory, ...extra, '--port', String(port), '-q']
  const figures: Figures[] = []
  for (let run = 0; run < runs; run++) {
    figures.push({
      bareMs: await timeToFirstResponse((port) => ['-e', BARE_SERVER, String(port)]),
      noJwtMs: await timeToFirstResponse(proxy(['--no-jwt'])),
      jwtMs: await timeToFirstResponse(proxy([])),
    })
  }
  return figures
}
