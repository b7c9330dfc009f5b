import assert from 'node:assert/strict'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { browserCommand } from '../../src/cli/open-browser.js'
import { spawnCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

/** A directory holding only an `xdg-open` with this shell body, to put first (or alone) on PATH. */
function fakeOpener(t: TestContext, body: string): string {
  const dir = tempDir(t, 'ory-proxy-opener-')
  const path = join(dir, 'xdg-open')
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return dir
}

test('--open hands the publish-url to the platform opener once the proxy is ready', async (t) => {
  const app = await startUpstream(t)
  let opened!: (url: string) => void
  const received = new Promise<string>((resolve) => (opened = resolve))
  // The fake opener reports its argument to this loopback server, so the test waits for it, not a timer.
  const recorder = await startUpstream(t, (_req, res, seen) => {
    res.end()
    opened(seen.body.toString())
  })
  const dir = fakeOpener(t, `exec "${process.execPath}" -e 'fetch(process.argv[1], { method: "POST", body: process.argv[2] }).then(() => process.exit(0), () => process.exit(9))' "${recorder.url}" "$1"`)
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app.url, `http://localhost:${port}`, '--sdk-url', app.url, '--no-jwt', '--port', String(port), '--open'], 'listening on port', {
    PATH: `${dir}:${process.env.PATH}`,
  })
  assert.equal(await received, `http://localhost:${port}`)
  // The proxy was already serving when the browser was sent there.
  const response = await request(`http://127.0.0.1:${port}/`)
  assert.equal(response.statusCode, 200)
  await response.body.dump()
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
  assert.doesNotMatch(cli.stderr, /Unable to automatically open/)
})

test('an opener that fails, or none on PATH, is a warning and the proxy keeps running', async (t) => {
  const app = await startUpstream(t)
  for (const [name, path, reason] of [
    ['failing opener', fakeOpener(t, 'exit 3'), /xdg-open exited with 3/],
    ['no opener', tempDir(t, 'ory-proxy-empty-path-'), /xdg-open: ENOENT/],
  ] as const) {
    await t.test(name, async (t) => {
      const port = await freePort()
      const cli = await spawnCli(t, ['start', app.url, '--sdk-url', app.url, '--no-jwt', '--port', String(port), '--open'], 'Unable to automatically open', {
        PATH: path,
      })
      assert.match(cli.stderr, /warning: Unable to automatically open the proxy URL in your browser\. Please open it manually!/)
      assert.match(cli.stderr, reason)
      const response = await request(`http://127.0.0.1:${port}/`)
      assert.equal(response.statusCode, 200)
      await response.body.dump()
      cli.child.kill('SIGTERM')
      assert.equal(await cli.exited, 0)
    })
  }
})

test('the opener per platform: xdg-open, open, start', () => {
  assert.deepEqual(browserCommand('linux'), { command: 'xdg-open', args: [] })
  assert.deepEqual(browserCommand('darwin'), { command: 'open', args: [] })
  assert.deepEqual(browserCommand('win32'), { command: 'cmd', args: ['/c', 'start', ''] })
})
