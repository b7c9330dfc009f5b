import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { request } from 'undici'
import { NODE_FLAGS } from '../../src/node-flags.js'
import { BIN, ROOT, cleanEnv } from '../helpers/cli.js'
import { freePort, startUpstream } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'

/** `pid` and its live descendants, each with node's command line. */
function tree(pid: number): Array<{ pid: number; argv: string[] }> {
  const found: Array<{ pid: number; argv: string[] }> = []
  const visit = (id: number) => {
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${id}/cmdline`, 'utf8').split('\0').filter(Boolean)
    } catch {
      return // gone meanwhile
    }
    found.push({ pid: id, argv })
    for (const task of readdirSync(`/proc/${id}/task`)) {
      const children = readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim()
      for (const child of children.split(/\s+/).filter(Boolean)) visit(Number(child))
    }
  }
  visit(pid)
  return found
}

test('the V8 flags are written once: the shebang and `npm start` carry NODE_FLAGS', () => {
  const shebang = readFileSync(BIN, 'utf8').split('\n', 1)[0]
  assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`)
  const scripts = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts
  assert.match(scripts.start!, new RegExp(` node ${NODE_FLAGS.join(' ')} bin/run\\.js start$`))
})

for (const workers of [1, 2]) {
  test(`\`node bin/run.js start --workers ${workers}\` without the flags: every process that proxies has them; SIGTERM ends them all`, { skip: process.platform !== 'linux' }, async (t) => {
    const app = await startUpstream(t)
    const port = await freePort()
    const child = spawn(process.execPath, [BIN, 'start', app.url, '--sdk-url', app.url, '--no-jwt', '--port', String(port), '--workers', String(workers), '-q'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    t.after(() => {
      for (const { pid } of tree(child.pid!).reverse()) process.kill(pid, 'SIGKILL')
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (data: Buffer) => {
        stderr += data.toString()
        if (stderr.includes('ready')) resolve()
      })
      void exited.then((code) => reject(new Error(`exited ${code} before its ready line: ${stderr}`)))
    })
    const response = await request(`http://127.0.0.1:${port}/`)
    assert.equal(response.statusCode, 200)
    await response.body.dump()

    const processes = tree(child.pid!)
    // Node 20 relaunches as a child; where node has process.execve, the process itself becomes the relaunched one.
    const proxies = processes.filter(({ argv }) => argv.includes(BIN))
    const serving = workers === 1 ? proxies.slice(-1) : processes.filter(({ argv }) => argv.some((arg) => arg.endsWith('cluster/worker.js')))
    assert.equal(serving.length, workers, JSON.stringify(processes))
    for (const { argv } of serving) for (const flag of NODE_FLAGS) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`)

    const pids = processes.map(({ pid }) => pid)
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
    await until(() => pids.every((pid) => !isAlive(pid)), 'every process of the proxy gone')
  })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
