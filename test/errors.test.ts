import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ERROR_STATUS } from '../src/errors.js'
import { ROOT } from './helpers/cli.js'

test('every error code is documented in the README\'s "Error codes" table', () => {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8')
  const table = readme.slice(readme.indexOf('## Error codes'))
  for (const code of Object.keys(ERROR_STATUS)) assert.match(table, new RegExp(`^\\| \`${code}\` \\|`, 'm'), code)
})
