import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import module from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli, spawnCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

// module.enableCompileCache came with Node 22.8; on Node 20 the CLI starts without it.
const cacheable = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function'
const skip = cacheable ? false : `Node ${process.version} has no module.enableCompileCache`

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
}

// Node's own default place: <temp dir>/node-compile-cache. (Setting $NODE_COMPILE_CACHE would turn the
// cache on by itself, so the tests point the temp dir elsewhere instead.)
test('the CLI keeps the compiled code of its modules in the temp dir for the next start', { skip }, async (t) => {
  const temp = tempDir(t)
  const run = await runCli(['start', '--help'], { TMPDIR: temp })
  assert.equal(run.code, 0, run.stderr)
  // One entry per module compiled: oclif's, ours, the flags' parsers; dozens at least.
  const entries = filesIn(join(temp, 'node-compile-cache'))
  assert.ok(entries.length >= 20, `cache entries: ${entries.length}`)
})

test('NODE_DISABLE_COMPILE_CACHE=1 turns the cache off', { skip }, async (t) => {
  const temp = tempDir(t)
  const run = await runCli(['start', '--help'], { TMPDIR: temp, NODE_DISABLE_COMPILE_CACHE: '1' })
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(readdirSync(temp), [])
})

test('cluster workers use the cache too: two workers leave more compiled modules in it than one process does', { skip }, async (t) => {
  const app = await startUpstream(t)
  /** Cache entries after one start of `--workers <n>` in a fresh temp dir, stopped once it serves. */
  const entriesAfter = async (workers: string): Promise<number> => {
    const temp = tempDir(t)
    const port = await freePort()
    const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--workers', workers, '--port', String(port)], 'listening on port', {
      TMPDIR: temp,
    })
    cli.child.kill('SIGTERM')
    assert.equal(await cli.exited, 0, cli.stderr)
    return filesIn(join(temp, 'node-compile-cache')).length
  }
  const one = await entriesAfter('1')
  // With two workers the primary loads no proxy code (undici, src/server): only the workers can
  // have written those, beside the cluster's own modules.
  const two = await entriesAfter('2')
  assert.ok(two > one, `cache entries: ${two} with two workers, ${one} with one process`)
})
