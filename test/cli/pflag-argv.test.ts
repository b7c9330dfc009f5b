import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pflagArgv } from '../../src/cli/pflag-argv.js'
import { START_FLAGS } from '../../src/start-flags.js'

const read = (...argv: string[]) => pflagArgv(argv, START_FLAGS)

test('--switch=true and --switch=false (every strconv.ParseBool spelling) become what oclif reads', () => {
  assert.deepEqual(read('http://app', '--dev=false', '--no-jwt=true', '--yes=1', '--quiet=T'), ['http://app', '--no-dev', '--no-jwt', '--yes', '--quiet'])
  // A switch that is off unless given, set to false: as if not given.
  assert.deepEqual(read('http://app', '--debug=FALSE', '--no-jwt=0', '--open=f'), ['http://app'])
  assert.deepEqual(read('http://app', '--dev=True'), ['http://app', '--dev'])
})

test('a flag that takes one value, given twice: the last counts, in either spelling and with its short form', () => {
  assert.deepEqual(read('http://app', '--port', '5000', '--port=3000', 'http://publish'), ['http://app', '--port=3000', 'http://publish'])
  assert.deepEqual(read('-c', 'a.json', 'http://app', '--config', 'b.json'), ['http://app', '--config', 'b.json'])
  // Switches too, negated or not: the last one says what holds.
  assert.deepEqual(read('--dev=false', 'http://app', '--dev'), ['http://app', '--dev'])
})

test('repeatable flags, values that look like flags, unknown flags, bad booleans and what follows -- are left alone', () => {
  const cors = ['--allowed-cors-origins', 'https://a.example', '--allowed-cors-origins', 'https://b.example']
  assert.deepEqual(read('http://app', ...cors), ['http://app', ...cors])
  assert.deepEqual(read('http://app', '--api-key-expiry', '-1h', '--frobnicate=1', '--no-jwt=maybe'), ['http://app', '--api-key-expiry', '-1h', '--frobnicate=1', '--no-jwt=maybe'])
  assert.deepEqual(read('http://app', '--', '--port', '1', '--port', '2'), ['http://app', '--', '--port', '1', '--port', '2'])
})
