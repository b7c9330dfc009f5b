import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'

test('autocomplete bash builds a completion for every start flag and prints the set-up', async (t) => {
  const cache = tempDir(t, 'ory-proxy-cache-')
  const result = await runCli(['autocomplete', 'bash'], { XDG_CACHE_HOME: cache })
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /ory-proxy autocomplete script bash/)
  const completion = readFileSync(join(cache, 'ory-proxy/autocomplete/functions/bash/ory-proxy.bash'), 'utf8')
  for (const flag of ['--project', '--workspace', '--api-key-expiry', '--open', '--debug', '--quiet', '--yes', '--config']) {
    assert.ok(completion.includes(flag), `completes ${flag}`)
  }
  const script = await runCli(['autocomplete', 'script', 'bash'], { XDG_CACHE_HOME: cache })
  assert.equal(script.code, 0)
  assert.match(script.stdout, new RegExp(`${join(cache, 'ory-proxy/autocomplete/bash_setup')}`))
})

test('autocomplete never takes its shell from what is piped to stdin', async (t) => {
  const cache = tempDir(t, 'ory-proxy-cache-')
  // The pipe stays open, as under most process managers: oclif would read a missing argument from it.
  const result = await runCli(['autocomplete'], { XDG_CACHE_HOME: cache, SHELL: '/bin/bash' }, 20_000, 'zsh\n')
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /ory-proxy autocomplete script bash/)
  assert.doesNotMatch(result.stdout, /zsh/)
  const explicit = await runCli(['autocomplete', 'zsh'], { XDG_CACHE_HOME: cache, SHELL: '/bin/bash' }, 20_000, 'bash\n')
  assert.equal(explicit.code, 0, explicit.stderr)
  assert.match(explicit.stdout, /ory-proxy autocomplete script zsh/)
})
