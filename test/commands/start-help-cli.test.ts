import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.js'

interface ManifestFlag {
  readonly name: string
  readonly type: 'option' | 'boolean'
  readonly char?: string
  readonly env?: string
  readonly default?: unknown
}

const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
  commands: { start: { flags: Record<string, ManifestFlag> } }
}

test('start --help shows, for every flag, its env var and its default', async () => {
  const result = await runCli(['start', '--help'])
  assert.equal(result.code, 0)
  // Help blocks of the FLAGS section: a line starting with the flag label, then its wrapped description.
  const section = result.stdout.slice(result.stdout.indexOf('\nFLAGS\n'), result.stdout.indexOf('\nDESCRIPTION\n'))
  const blocks = section.split(/\n(?= {2}-)/).map((block) => block.replace(/\s+/g, ' ').trim())
  for (const flag of Object.values(manifest.commands.start.flags)) {
    const label = new RegExp(`^(-\\w, )?--(\\[no-\\])?${flag.name}(=| |$)`)
    const block = blocks.find((b) => label.test(b))
    assert.ok(block !== undefined, `--${flag.name} is in the help`)
    if (flag.env !== undefined) assert.match(block, new RegExp(`env: ${flag.env}\\]`), `--${flag.name} shows its env var`)
    if (flag.type === 'option') {
      assert.notEqual(flag.default, undefined, `--${flag.name} declares a default (or a defaultHelp)`)
      assert.ok(block.includes(`[default: ${String(flag.default)}`), `--${flag.name} shows its default: ${block}`)
    }
  }
})

test("the README's flag table lists every flag with its env var (or —) and default", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('<!-- flags:start -->'), readme.indexOf('<!-- /flags:start -->'))
  for (const flag of Object.values(manifest.commands.start.flags)) {
    const row = table.split('\n').find((line) => line.includes(`--${flag.name}\``) || line.includes(`--[no-]${flag.name}\``))
    assert.ok(row !== undefined, `--${flag.name} has a row`)
    const [, env, shownDefault] = row.split(' | ').map((cell) => cell.trim())
    assert.equal(env, flag.env === undefined ? '—' : `\`${flag.env}\``, `--${flag.name} env`)
    assert.ok(shownDefault !== undefined && shownDefault !== '', `--${flag.name} default`)
    if (flag.type === 'option') assert.ok(shownDefault.includes(String(flag.default)), `--${flag.name}: ${shownDefault}`)
  }
})
