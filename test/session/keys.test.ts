import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError } from '../../src/errors.js'
import { jwksDocument } from '../../src/session/jwks.js'
import { generateSigningKey, loadSigningKey } from '../../src/session/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'ory-proxy-jwk-'))
let files = 0
function file(content: unknown): string {
  const path = join(dir, `key-${++files}.json`)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })

test('a generated key has a uuid kid and publishes no private member', () => {
  const key = generateSigningKey()
  assert.match(key.kid, /^[0-9a-f-]{36}$/)
  const { keys } = JSON.parse(jwksDocument(key.publicJwk).body) as { keys: Array<Record<string, string>> }
  assert.deepEqual(keys, [{ use: 'sig', kty: 'EC', kid: key.kid, crv: 'P-256', alg: 'ES256', x: key.publicJwk.x, y: key.publicJwk.y }])
  assert.notEqual(generateSigningKey().kid, key.kid)
})

test('--jwk-file takes a JWK or a JWKS; the kid is kept or derived from the RFC 7638 thumbprint', async () => {
  const jwk = p256()
  const withKid = await loadSigningKey(file({ ...jwk, kid: 'shared-key', alg: 'ES256', use: 'sig' }))
  assert.equal(withKid.kid, 'shared-key')
  assert.equal(withKid.privateJwk.d, jwk.d)
  const bare = await loadSigningKey(file(jwk))
  // RFC 7638 §3.2: SHA-256 over the required members in lexical order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
  assert.equal(bare.kid, createHash('sha256').update(canonical).digest('base64url'))
  assert.equal((await loadSigningKey(file(jwk))).kid, bare.kid, 'the same key gets the same kid in every proxy')
  const { d: _d, ...publicOnly } = p256()
  const set = await loadSigningKey(file({ keys: [publicOnly, jwk] }))
  assert.equal(set.kid, bare.kid)
})

test('a bad --jwk-file is a ConfigError naming the file and the problem', async () => {
  const jwk = p256()
  const { d: _d, ...publicOnly } = jwk
  const other = p256()
  const cases: Array<[string, string, RegExp]> = [
    ['missing', join(dir, 'nope.json'), /cannot be read: ENOENT/],
    ['not JSON', file('-----BEGIN PRIVATE KEY-----'), /is not JSON/],
    ['an array', file([jwk]), /is not a JWK or a JWKS/],
    ['public key only', file(publicOnly), /has no private key/],
    ['keys not an array', file({ keys: {} }), /"keys" member that is not an array/],
    ['JWKS without a private key', file({ keys: [publicOnly] }), /exactly one private key, found 0/],
    ['JWKS with two private keys', file({ keys: [jwk, other] }), /exactly one private key, found 2/],
    ['P-384', file(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })), /P-256 EC key.*crv P-384/],
    ['RSA', file(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' })), /P-256 EC key.*kty RSA/],
    ['alg RS256', file({ ...jwk, alg: 'RS256' }), /alg RS256/],
    ['use enc', file({ ...jwk, use: 'enc' }), /use enc/],
    ['d of another key', file({ ...jwk, d: other.d }), /does not match/],
    ['point not on the curve', file({ ...jwk, x: other.y }), /invalid key/],
  ]
  for (const [name, path, pattern] of cases) {
    await assert.rejects(
      () => loadSigningKey(path),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith(`--jwk-file ${path} `) && pattern.test(error.message),
      name,
    )
  }
})
