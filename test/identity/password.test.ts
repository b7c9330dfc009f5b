import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decoyHash, hashPassword, isPasswordHash, verifyPassword } from '../../src/identity/password.js'

test('a scrypt hash verifies its password and no other', async () => {
  const hash = await hashPassword('correct horse battery staple')
  assert.match(hash, /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
  assert.ok(isPasswordHash(hash))
  assert.equal(await verifyPassword('correct horse battery staple', hash), true)
  assert.equal(await verifyPassword('correct horse battery stapl', hash), false)
  assert.equal(await verifyPassword('', hash), false)
})

test('the same password hashes differently each time (random salt)', async () => {
  assert.notEqual(await hashPassword('same password'), await hashPassword('same password'))
})

test('a password is compared after Unicode normalisation, so the same text typed two ways matches', async () => {
  const hash = await hashPassword('caf\u00e9 au lait')
  assert.equal(await verifyPassword('cafe\u0301 au lait', hash), true)
})

test('malformed or out-of-bounds hashes never verify and are not accepted as hashes', async () => {
  const hash = await hashPassword('some password')
  for (const bad of ['', 'plain', hash.replace('ln=14', 'ln=30'), hash.replace('r=8', 'r=99'), hash.replace('$scrypt$', '$bcrypt$')]) {
    assert.equal(isPasswordHash(bad), false, bad)
    assert.equal(await verifyPassword('some password', bad), false, bad)
  }
})

test('the decoy hash is a real hash that no guess is likely to match', async () => {
  const decoy = await decoyHash()
  assert.ok(isPasswordHash(decoy))
  assert.equal(await decoyHash(), decoy)
  assert.equal(await verifyPassword('password', decoy), false)
})
