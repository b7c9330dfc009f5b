/**
 * CLI start-up cost, against the built CLI as a process (run `npm run build` first): ms from spawn
 * to the `-q` ready line of `start --no-jwt`, and to the end of `start --help`, median of RUNS.
 * Given several package roots (copies of this one with another `package.json`, e.g. without the
 * autocomplete plugin), their runs are interleaved so load from other work falls on all alike.
 *
 *   node --import tsx bench/cli-startup.ts [root ...]
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/upstream.js'

const RUNS = 15
const ROOTS = process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL('..', import.meta.url))]

/** Spawns `<root>/bin/run.js args`; resolves with ms until stderr shows `until` (or the process exits when undefined). */
function timeRun(root: string, args: string[], until: string | undefined): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${args.join(' ')}: no answer in 20 s`))
    }, 20_000)
    child.stderr.on('data', (data: Buffer) => {
      if (until !== undefined && data.toString().includes(until)) {
        const ms = performance.now() - started
        child.once('exit', () => resolve(ms))
        child.kill('SIGTERM')
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      if (until === undefined) resolve(performance.now() - started)
    })
  })
}

const app = http.createServer((_req, res) => res.end('ok'))
await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
const results = ROOTS.map((root) => ({ root, ready: [] as number[], help: [] as number[] }))
for (let i = 0; i < RUNS; i++) {
  for (const result of results) {
    const args = ['start', appUrl, '--sdk-url', appUrl, '--no-jwt', '-q', '--port', String(await freePort())]
    result.ready.push(await timeRun(result.root, args, 'ready on'))
    result.help.push(await timeRun(result.root, ['start', '--help'], undefined))
  }
}
app.close()
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(0)
for (const { root, ready, help } of results) {
  console.log(`${root}: median of ${RUNS}: start --no-jwt -q ready line ${median(ready)} ms; start --help ${median(help)} ms`)
}
