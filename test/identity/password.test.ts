import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decoyHash, hashPassword, importableHash, isPasswordHash, verifyPassword } from '../../src/identity/password.js'

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

/**
 * Hashes of 'imported-secret-1' made by other implementations (Python's bcrypt, argon2-cffi and
 * hashlib), in the formats Kratos' admin API accepts as `hashed_password`.
 */
const IMPORTED = {
  bcrypt: '$2b$04$56g7Y5WXVZmD64pWkOx3s.famiR766f9f.pkc5JiKBeo87nuhiqiG',
  argon2id: '$argon2id$v=19$m=1024,t=2,p=1$duy7UPh4q/434mz1ENNeMA$1GQP6xIMCZq8zkY5f7aUlB7zvH9ZLM7hm6IEdDq+Ts8',
  argon2i: '$argon2i$v=19$m=1024,t=2,p=1$UZEQBPMX0/DulIYpDVIxSQ$vluBSKhoFiEtdHmH/jOIfGVqoPHMdJF48gDY/TmY6EE',
  pbkdf2sha256: '$pbkdf2-sha256$i=1000,l=32$IghHHoE+97EEDt/oE6gwMg$CchXmAV/ebtVqnrVYzlJaTkebl7fcihJ/CfLg+T0lYM',
  pbkdf2sha512: '$pbkdf2-sha512$i=1000,l=32$IghHHoE+97EEDt/oE6gwMg$yGtUBAYX+sDETI/t+GUmgjrw+ZOoRsaMSKGAr1hGOnc',
  pbkdf2sha1: '$pbkdf2-sha1$i=1000,l=32$IghHHoE+97EEDt/oE6gwMg$7m2HQmVr0oJGOR/MprQELzIiAmUxZCedjCnl+5ooe4E',
  /** Kratos' scrypt form: ln is N itself, padded base64. */
  scrypt: '$scrypt$ln=1024,r=8,p=1$IghHHoE+97EEDt/oE6gwMg==$jemeqKCWgwj5A7hSum/cUChorx7tjNNQ2H/Lda+hc+4=',
} as const

test('imported bcrypt, argon2id, argon2i, PBKDF2 and Kratos scrypt hashes verify their password and no other', async () => {
  for (const [name, hash] of Object.entries(IMPORTED)) {
    const stored = importableHash(hash)
    assert.ok(stored !== undefined, name)
    assert.ok(isPasswordHash(stored), name)
    assert.equal(await verifyPassword('imported-secret-1', stored), true, name)
    assert.equal(await verifyPassword('imported-secret-2', stored), false, name)
  }
  // Kratos' scrypt is stored in this server's form: N = 1024 is ln=10, base64 unpadded.
  assert.equal(importableHash(IMPORTED.scrypt), '$scrypt$ln=10,r=8,p=1$IghHHoE+97EEDt/oE6gwMg$jemeqKCWgwj5A7hSum/cUChorx7tjNNQ2H/Lda+hc+4')
})

test('hashes this server cannot check, or whose cost is out of bounds, are not importable', () => {
  for (const bad of [
    '',
    'plain text',
    '$md5$4QrcOUm6Wau+VuBX8g+IPg==',
    '{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a',
    IMPORTED.bcrypt.replace('$04$', '$31$'),
    IMPORTED.argon2id.replace('m=1024', 'm=9999999'),
    IMPORTED.argon2id.replace('v=19', 'v=16'),
    IMPORTED.pbkdf2sha256.replace('i=1000', 'i=99999999'),
    IMPORTED.pbkdf2sha256.replace('l=32', 'l=31'),
    IMPORTED.scrypt.replace('ln=1024', 'ln=1000'),
    IMPORTED.scrypt.replace('ln=1024', 'ln=4194304'),
  ]) {
    assert.equal(importableHash(bad), undefined, bad)
  }
})

test('a bcrypt hash never matches a password longer than 72 bytes (Kratos refuses them rather than cut them)', async () => {
  const bcrypt = (await import('bcryptjs')).default
  const long = 'x'.repeat(80)
  const hash = await bcrypt.hash(long.slice(0, 72), 4)
  assert.equal(await verifyPassword(long.slice(0, 72), hash), true)
  assert.equal(await verifyPassword(long, hash), false)
})
