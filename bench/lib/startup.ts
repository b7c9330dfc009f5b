import http from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../test/helpers/upstream.js'
import { BIN, spawnReady } from './cli-process.js'
import { SESSION_COOKIE } from './load.js'
import type { Figures } from './stats.js'

/** The yardstick: `node -e` with the smallest server that can answer, started the same way. */
const BARE_SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1', () => process.stderr.write('ready\\n'))`

/**
 * The floor the design sets: the smallest oclif CLI that answers HTTP (bench/roles/oclif-floor),
 * started as ours is: compile cache on, oclif's `execute`, a committed manifest, one command.
 */
const OCLIF_FLOOR = fileURLToPath(new URL('../roles/oclif-floor/bin/run.js', import.meta.url))

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
 * Start-up, spawn to first proxied response, interleaved so load from elsewhere falls on all
 * alike: a bare `node -e` server, the smallest oclif CLI serving HTTP (oclif's share of every
 * start), `ory-proxy --workers 1 --no-jwt`, and JWT mode (whose first
 * response also waits for one whoami call and one signature), and the same two with `--workers 2`
 * (the primary, then both workers ready). Given `before` (another build's package root, e.g. a
 * worktree of an earlier commit), its CLI is timed beside ours with the same flags (no
 * `--workers`, which it may not know), the two alternating in order from run to run.
 */
export async function measureStartup(origin: string, ory: string, runs: number, before?: string): Promise<Figures[]> {
  const proxy = (extra: string[], bin = BIN) => (port: number) => [
    bin,
    'start',
    origin,
    '--sdk-url',
    ory,
    ...extra,
    '--port',
    String(port),
    '-q',
  ]
  const beforeBin = before === undefined ? undefined : join(before, 'bin/run.js')
  const figures: Figures[] = []
  for (let run = 0; run < runs; run++) {
    const figure: Figures = { bareMs: await timeToFirstResponse((port) => ['-e', BARE_SERVER, String(port)]) }
    figure.oclifFloorMs = await timeToFirstResponse((port) => [OCLIF_FLOOR, 'serve', String(port)])
    for (const jwt of [false, true]) {
      const flags = jwt ? [] : ['--no-jwt']
      const pair: Array<[string, (port: number) => string[]]> = [[jwt ? 'jwtMs' : 'noJwtMs', proxy(['--workers', '1', ...flags])]]
      if (beforeBin !== undefined) pair.push([jwt ? 'beforeJwtMs' : 'beforeNoJwtMs', proxy(flags, beforeBin)])
      // Whichever goes first may find the other's files in the page cache: swap every run.
      if (run % 2 === 1) pair.reverse()
      for (const [name, argv] of pair) figure[name] = await timeToFirstResponse(argv)
    }
    figure.workers2NoJwtMs = await timeToFirstResponse(proxy(['--workers', '2', '--no-jwt']))
    figure.workers2JwtMs = await timeToFirstResponse(proxy(['--workers', '2']))
    figures.push(figure)
  }
  return figures
}
