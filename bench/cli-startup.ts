/**
 * CLI start-up cost, against the built CLI as a process (run `npm run build` first): ms from spawn
 * to the `-q` ready line of `start --no-jwt`, and to the exit of `start --help`, median of RUNS.
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
import { percentile, startQuiet } from './lib/cli-process.js'

const RUNS = 15
const ROOTS = process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL('..', import.meta.url))]

/** ms from spawning `<bin> start --help` to its exit (bounded: 20 s). */
function helpMs(bin: string): Promise<number> {
  const began = performance.now()
  const child = spawn(process.execPath, [bin, 'start', '--help'], { stdio: 'ignore' })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('start --help did not exit in 20 s'))
    }, 20_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(performance.now() - began)
    })
  })
}

const app = http.createServer((_req, res) => res.end('ok'))
await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
const results = ROOTS.map((root) => ({ bin: join(root, 'bin/run.js'), root, ready: [] as number[], help: [] as number[] }))
for (let i = 0; i < RUNS; i++) {
  for (const result of results) {
    const started = await startQuiet([appUrl, '--sdk-url', appUrl, '--no-jwt'], { bin: result.bin })
    result.ready.push(started.readyMs)
    await started.stop()
    result.help.push(await helpMs(result.bin))
  }
}
app.close()
for (const { root, ready, help } of results) {
  console.log(
    `${root}: median of ${RUNS}: start --no-jwt -q ready line ${percentile(ready, 0.5).toFixed(0)} ms; start --help ${percentile(help, 0.5).toFixed(0)} ms`,
  )
}
