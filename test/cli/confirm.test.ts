import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { confirm } from '../../src/cli/confirm.js'

/** A terminal-like input (isTTY) that types `typed`, and an output that collects the prompt. */
function terminal(typed: string | undefined): { input: PassThrough & { isTTY: boolean }; output: PassThrough; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()))
  if (typed === undefined) input.end()
  else input.write(typed)
  return { input, output, shown: () => shown }
}

test('on a terminal the question is asked; n/no declines, anything else (or Enter) accepts', async () => {
  for (const [typed, expected] of [
    ['n\n', false],
    ['No\n', false],
    ['y\n', true],
    ['\n', true],
    ['whatever\n', true],
  ] as const) {
    const io = terminal(typed)
    assert.equal(await confirm('Start anyway?', { yes: false, quiet: false, ...io }), expected, JSON.stringify(typed))
    assert.equal(io.shown(), 'Start anyway? [Y/n] ')
  }
})

test('end of input on a terminal accepts rather than hanging', async () => {
  const io = terminal(undefined)
  assert.equal(await confirm('Start anyway?', { yes: false, quiet: false, ...io }), true)
})

test('--yes and --quiet answer yes without asking, and so does a non-terminal input', async () => {
  for (const options of [
    { yes: true, quiet: false, tty: true },
    { yes: false, quiet: true, tty: true },
    { yes: false, quiet: false, tty: false },
  ]) {
    const io = terminal('n\n')
    io.input.isTTY = options.tty
    assert.equal(await confirm('Start anyway?', { yes: options.yes, quiet: options.quiet, input: io.input, output: io.output }), true)
    assert.equal(io.shown(), '', `no prompt for ${JSON.stringify(options)}`)
  }
})

test('a signal ends an open question (SIGINT while asking), without waiting for input', async () => {
  const io = terminal('')
  const interrupted = new AbortController()
  const answer = confirm('Start anyway?', { yes: false, quiet: false, ...io, signal: interrupted.signal })
  interrupted.abort()
  assert.equal(await answer, true)
  assert.match(io.shown(), /^Start anyway\? \[Y\/n\] \s*$/)
})
